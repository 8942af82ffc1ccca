import type { PgBoss } from 'pg-boss'
import type { DbOrTx } from '../../db/client.ts'
import { responseRuns } from '../../db/schema/index.ts'
import { enqueue } from '../../jobs/enqueue.ts'
import { responseRunJob } from '../../jobs/response-run.ts'
import type { AlertMatch } from '../matching/evaluate-alerts.ts'
import { readIncidentFacts } from './incident-facts.ts'
import { responseTypeOf } from './response-types.ts'

/** The key that makes a (condition, response, incident, target) act at most once, however often it matches. */
export const runKey = (conditionId: number, index: number, incidentId: number, target: string) =>
  `mc:${conditionId}:${index}:${incidentId}:${target}`

/**
 * Turns matches into response runs, inside the caller's transaction: one run per (condition,
 * response, incident, target) — a second match of the same incident (a new alert, a re-evaluation)
 * adds runs only for targets not seen before. Automatic responses are queued (or wait for
 * approval); the others are offered as buttons. Returns the ids of runs created.
 */
export const offerResponses = async (tx: DbOrTx, boss: PgBoss, matches: AlertMatch[]) => {
  const created: number[] = []
  const byIncident = Map.groupBy(
    matches.filter((m) => m.incidentId !== null && m.condition.responses.length > 0),
    (m) => m.incidentId!,
  )
  for (const [incidentId, list] of byIncident) {
    const facts = await readIncidentFacts(tx, incidentId)
    const seen = new Set<number>()
    for (const { condition } of list) {
      if (seen.has(condition.id)) continue
      seen.add(condition.id)
      for (const [index, spec] of condition.responses.entries()) {
        const type = responseTypeOf(spec.type)
        if (!type) continue
        const params = type.params.parse(spec.params)
        for (const target of type.targets(params, facts)) {
          const status = !condition.isAutomatic ? 'offered' : spec.requiresApproval ? 'awaiting_approval' : 'queued'
          const [row] = await tx
            .insert(responseRuns)
            .values({
              incidentId,
              matchConditionId: condition.id,
              responseType: spec.type,
              params: spec.params,
              target,
              status,
              idempotencyKey: runKey(condition.id, index, incidentId, target),
            })
            .onConflictDoNothing()
            .returning({ id: responseRuns.id })
          if (!row) continue
          created.push(row.id)
          if (status === 'queued') await enqueue(boss, tx, responseRunJob, { runId: row.id, action: 'run' as const })
        }
      }
    }
  }
  return created
}
