import { inArray, sql } from 'drizzle-orm'
import type { PgBoss } from 'pg-boss'
import type { Db } from '../../db/client.ts'
import { alerts } from '../../db/schema/index.ts'
import { notifyScoreCrossings } from '../notifications/notify-score-crossings.ts'
import { offerResponses } from '../responses/offer-responses.ts'
import { evaluateSubjects, loadEnabledConditions, loadSubjects, subjectNeedsOf } from './evaluate-alerts.ts'

/**
 * Evaluates again, against their current state, the incidents a trigger marked as changed
 * (`incident_reevaluations`), up to `limit` at a time, offers the responses newly matched —
 * exactly once per (condition, response, incident, target), whatever ran before — and notifies
 * scores that crossed the threshold (one run per incident: the pending rows serialise it). The pending rows are taken with SKIP LOCKED and removed in the same transaction as the runs it creates, so several
 * workers share the work and a crash leaves them pending. Returns how many incidents it took.
 */
export const reevaluateIncidents = async (db: Db, boss: PgBoss, limit = 500) =>
  db.transaction(async (tx) => {
    const taken = (await tx.execute(sql`
      DELETE FROM incident_reevaluations WHERE incident_id IN (
        SELECT incident_id FROM incident_reevaluations ORDER BY requested_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING incident_id`)) as unknown as { incident_id: string | number }[]
    const incidentIds = taken.map((r) => Number(r.incident_id))
    if (incidentIds.length === 0) return { incidents: 0, runs: 0 }
    const heads = await tx
      .select({ id: alerts.id, sourceId: alerts.sourceId })
      .from(alerts)
      .where(inArray(alerts.incidentId, incidentIds))
    const conditions = await loadEnabledConditions(tx, [...new Set(heads.map((h) => h.sourceId))])
    const withConditions = new Set(conditions.map((c) => c.sourceId))
    const subjects = await loadSubjects(
      tx,
      heads.filter((h) => withConditions.has(h.sourceId)).map((h) => h.id),
      subjectNeedsOf(conditions),
    )
    const { matches } = await evaluateSubjects(tx, subjects, conditions)
    const runs = await offerResponses(tx, boss, matches)
    // The trigger also marks score changes: the place to see a score cross the notification threshold.
    await notifyScoreCrossings(tx, boss, incidentIds)
    return { incidents: incidentIds.length, runs: runs.length }
  })
