import { and, asc, eq } from 'drizzle-orm'
import { z } from 'zod'
import { alertEmails, alerts, matchConditions, matchEvaluations } from '../db/schema/index.ts'
import { evaluateCondition } from '../domain/intake/evaluate-condition.ts'
import { defineJob } from './define-job.ts'

/**
 * Evaluates the alert's source's enabled match conditions, in order (stopping after one marked
 * `stop_processing`), and records what matched in `match_evaluations`, for each alert of an intake batch. Responses are a later
 * issue: nothing is run from here yet. Idempotent: a second run for the same alert is a no-op.
 */
export const alertMatchJob = defineJob({
  name: 'alert.match',
  payload: z.object({
    alerts: z
      .array(z.object({ alertId: z.number().int().positive(), incidentId: z.number().int().positive() }))
      .min(1)
      .max(10_000),
  }),
  queue: { retryLimit: 5, retryDelay: 10, retryBackoff: true, expireInSeconds: 300, deadLetter: 'alert.match.dlq' },
  async run({ alerts: batch }, { db }) {
    const conditionsBySource = new Map<number, (typeof matchConditions.$inferSelect)[]>()
    let matchedAlerts = 0
    for (const { alertId, incidentId } of batch) {
      const [alert] = await db.select().from(alerts).where(eq(alerts.id, alertId))
      if (!alert) continue
      let conditions = conditionsBySource.get(alert.sourceId)
      if (!conditions) {
        conditions = await db
          .select()
          .from(matchConditions)
          .where(and(eq(matchConditions.sourceId, alert.sourceId), eq(matchConditions.isEnabled, true)))
          .orderBy(asc(matchConditions.position), asc(matchConditions.id))
        conditionsBySource.set(alert.sourceId, conditions)
      }
      const emails = conditions.length
        ? await db.select().from(alertEmails).where(eq(alertEmails.alertId, alertId))
        : []
      const matched: number[] = []
      for (const c of conditions) {
        if (!evaluateCondition(c.condition, { alert, emails })) continue
        matched.push(c.id)
        if (c.stopProcessing) break
      }
      if (matched.length) matchedAlerts++
      await db
        .insert(matchEvaluations)
        .values({
          alertId,
          incidentId,
          matchedConditionIds: matched,
          evaluatedConditions: conditions.length,
          isMatched: matched.length > 0,
        })
        .onConflictDoNothing()
    }
    return { evaluated: batch.length, matchedAlerts }
  },
})
