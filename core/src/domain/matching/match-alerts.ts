import { inArray } from 'drizzle-orm'
import type { PgBoss } from 'pg-boss'
import type { Db } from '../../db/client.ts'
import { alerts, matchEvaluations } from '../../db/schema/index.ts'
import { offerResponses } from '../responses/offer-responses.ts'
import { evaluateSubjects, loadEnabledConditions, loadSubjects } from './evaluate-alerts.ts'

/**
 * Evaluates each alert of an intake batch against its source's enabled match conditions (in order,
 * first match wins unless a condition says continue), records what matched in `match_evaluations`
 * and turns matches into response runs — queued, awaiting approval, or offered as buttons — all in
 * one transaction. Idempotent: a replayed batch records nothing twice and creates no run twice.
 */
export const matchAlerts = async (db: Db, boss: PgBoss, batch: { alertId: number }[]) => {
  // Whole alerts, e-mails and incident fields are read only for sources that have conditions.
  const heads = await db
    .select({ alertId: alerts.id, sourceId: alerts.sourceId, incidentId: alerts.incidentId })
    .from(alerts)
    .where(
      inArray(
        alerts.id,
        batch.map((b) => b.alertId),
      ),
    )
  const conditions = await loadEnabledConditions(db, [...new Set(heads.map((h) => h.sourceId))])
  const withConditions = new Set(conditions.map((c) => c.sourceId))
  const subjects = await loadSubjects(
    db,
    heads.filter((h) => withConditions.has(h.sourceId)).map((h) => h.alertId),
  )
  const result = await evaluateSubjects(db, subjects, conditions)
  const evaluations = [
    ...result.evaluations,
    ...heads.filter((h) => !withConditions.has(h.sourceId)).map((h) => ({ ...h, matched: [], evaluated: 0 })),
  ]
  const { matches } = result
  const runs = await db.transaction(async (tx) => {
    if (evaluations.length)
      await tx
        .insert(matchEvaluations)
        .values(
          evaluations.map((e) => ({
            alertId: e.alertId,
            incidentId: e.incidentId,
            matchedConditionIds: e.matched,
            evaluatedConditions: e.evaluated,
            isMatched: e.matched.length > 0,
          })),
        )
        .onConflictDoNothing()
    return offerResponses(tx, boss, matches)
  })
  return {
    evaluated: evaluations.length,
    matchedAlerts: evaluations.filter((e) => e.matched.length).length,
    runs: runs.length,
  }
}
