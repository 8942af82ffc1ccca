import { and, asc, eq, gte, inArray, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { alerts, incidents } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, canSee } from '../../policy/index.ts'
import { readIncidentFacts } from '../responses/incident-facts.ts'
import { responseTypeOf } from '../responses/response-types.ts'
import { evaluateSubjects, loadSubjects, subjectNeedsOf } from './evaluate-alerts.ts'
import { parseMatchConditionInput } from './match-condition-input.ts'

const MAX_ALERTS = 50_000

/**
 * What a (draft or stored) condition would have done on the source's alerts of the last `days`
 * days: the incidents it matches (only those the actor can see are listed; the count is of those
 * too) and, per incident, the responses it would run with their targets. Writes nothing. Uses the
 * same evaluator as live matching, against each incident's current state.
 * @throws FORBIDDEN (sources.read), INVALID_REQUEST
 */
export const dryRunMatchCondition = async (db: DbOrTx, actor: Actor, sourceId: number, raw: unknown, days: number) => {
  assertCan(actor, 'sources.read')
  const draft = parseMatchConditionInput(raw)
  const recent = await db
    .select({ id: alerts.id })
    .from(alerts)
    .where(and(eq(alerts.sourceId, sourceId), gte(alerts.receivedAt, sql`now() - make_interval(days => ${days})`)))
    .orderBy(asc(alerts.id))
    .limit(MAX_ALERTS + 1)
  const conditions = [
    {
      id: 0,
      sourceId,
      condition: draft.condition,
      responses: draft.responses,
      isAutomatic: draft.isAutomatic,
      continueAfterMatch: true,
    },
  ]
  const subjects = await loadSubjects(
    db,
    recent.slice(0, MAX_ALERTS).map((r) => r.id),
    subjectNeedsOf(conditions),
  )
  const { matches } = await evaluateSubjects(db, subjects, conditions)
  const incidentIds = [...new Set(matches.map((m) => m.incidentId).filter((x): x is number => x !== null))]
  const visible = incidentIds.length
    ? (await db.select().from(incidents).where(inArray(incidents.id, incidentIds))).filter((i) => canSee(actor, i))
    : []
  const shown = []
  for (const incident of visible.slice(0, 200)) {
    const facts = await readIncidentFacts(db, incident.id)
    shown.push({
      incidentId: incident.id,
      summary: incident.summary,
      alerts: matches.filter((m) => m.incidentId === incident.id).length,
      responses: draft.responses.map((spec) => {
        const type = responseTypeOf(spec.type)!
        return { type: spec.type, targets: type.targets(type.params.parse(spec.params), facts) }
      }),
    })
  }
  return {
    alertsEvaluated: subjects.length,
    isTruncated: recent.length > MAX_ALERTS,
    alertsMatched: matches.filter((m) => m.incidentId === null || visible.some((v) => v.id === m.incidentId)).length,
    incidentsMatched: visible.length,
    incidents: shown,
  }
}
