import { and, asc, eq, inArray } from 'drizzle-orm'
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
      .array(z.object({ alertId: z.number().int().positive(), incidentId: z.number().int().positive().optional() }))
      .min(1)
      .max(10_000),
  }),
  queue: { retryLimit: 5, retryDelay: 10, retryBackoff: true, expireInSeconds: 300, deadLetter: 'alert.match.dlq' },
  async run({ alerts: batch }, { db }) {
    const ids = batch.map((b) => b.alertId)
    // At most three reads and one write for the whole batch (intake enqueues one job per group
    // commit). Whole alert rows (raw payload included) are read only for sources with conditions.
    const heads = await db
      .select({ id: alerts.id, sourceId: alerts.sourceId, incidentId: alerts.incidentId })
      .from(alerts)
      .where(inArray(alerts.id, ids))
    const sourceIds = [...new Set(heads.map((r) => r.sourceId))]
    const conditions = sourceIds.length
      ? await db
          .select()
          .from(matchConditions)
          .where(and(inArray(matchConditions.sourceId, sourceIds), eq(matchConditions.isEnabled, true)))
          .orderBy(asc(matchConditions.position), asc(matchConditions.id))
      : []
    const withConditions = heads.filter((r) => conditions.some((c) => c.sourceId === r.sourceId)).map((r) => r.id)
    const full = withConditions.length ? await db.select().from(alerts).where(inArray(alerts.id, withConditions)) : []
    const fullById = new Map(full.map((a) => [a.id, a]))
    const emails = withConditions.length
      ? await db.select().from(alertEmails).where(inArray(alertEmails.alertId, withConditions))
      : []
    const values = heads.map((alert) => {
      const mine = conditions.filter((c) => c.sourceId === alert.sourceId)
      const matched: number[] = []
      const row = fullById.get(alert.id)
      if (row) {
        const subject = { alert: row, emails: emails.filter((e) => e.alertId === alert.id) }
        for (const c of mine) {
          if (!evaluateCondition(c.condition, subject)) continue
          matched.push(c.id)
          if (c.stopProcessing) break
        }
      }
      return {
        alertId: alert.id,
        incidentId: alert.incidentId,
        matchedConditionIds: matched,
        evaluatedConditions: mine.length,
        isMatched: matched.length > 0,
      }
    })
    if (values.length) await db.insert(matchEvaluations).values(values).onConflictDoNothing()
    return { evaluated: values.length, matchedAlerts: values.filter((v) => v.isMatched).length }
  },
})
