import { and, asc, eq } from 'drizzle-orm'
import { z } from 'zod'
import { alertEmails, alerts, matchConditions, matchEvaluations } from '../db/schema/index.ts'
import { evaluateCondition } from '../domain/intake/evaluate-condition.ts'
import { defineJob } from './define-job.ts'

/**
 * Evaluates the alert's source's enabled match conditions, in order (stopping after one marked
 * `stop_processing`), and records what matched in `match_evaluations`. Responses are a later
 * issue: nothing is run from here yet. Idempotent: a second run for the same alert is a no-op.
 */
export const alertMatchJob = defineJob({
  name: 'alert.match',
  payload: z.object({ alertId: z.number().int().positive(), incidentId: z.number().int().positive() }),
  queue: { retryLimit: 5, retryDelay: 10, retryBackoff: true, expireInSeconds: 300, deadLetter: 'alert.match.dlq' },
  async run({ alertId, incidentId }, { db }) {
    const [alert] = await db.select().from(alerts).where(eq(alerts.id, alertId))
    if (!alert) return { skipped: 'alert gone' }
    const emails = await db.select().from(alertEmails).where(eq(alertEmails.alertId, alertId))
    const conditions = await db
      .select()
      .from(matchConditions)
      .where(and(eq(matchConditions.sourceId, alert.sourceId), eq(matchConditions.isEnabled, true)))
      .orderBy(asc(matchConditions.position), asc(matchConditions.id))
    const matched: number[] = []
    for (const c of conditions) {
      if (!evaluateCondition(c.condition, { alert, emails })) continue
      matched.push(c.id)
      if (c.stopProcessing) break
    }
    await db
      .insert(matchEvaluations)
      .values({ alertId, incidentId, matchedConditionIds: matched, evaluatedConditions: conditions.length, isMatched: matched.length > 0 })
      .onConflictDoNothing()
    return { matched }
  },
})
