import { sql } from 'drizzle-orm'
import type { PgBoss } from 'pg-boss'
import type { Db } from '../../db/client.ts'
import { offerResponses } from '../responses/offer-responses.ts'
import { evaluateSubjects, loadEnabledConditions, loadSubjects, subjectNeedsOf } from './evaluate-alerts.ts'

/**
 * Evaluates each alert of an intake batch against its source's enabled match conditions (in order,
 * first match wins unless a condition says continue), records the alerts that matched in
 * `match_evaluations` and turns matches into response runs — queued, awaiting approval, or offered
 * as buttons — all in one transaction. Idempotent: a replayed batch records nothing twice and
 * creates no run twice. An alert that matched nothing leaves no row (issue 16: a row, three index
 * entries and two foreign-key checks for every alert, ~40 µs of PostgreSQL time each, that nothing
 * read; what a condition would match is the dry run's question).
 */
export const matchAlerts = async (db: Db, boss: PgBoss, batch: { alertId: number }[]) => {
  // Plain SQL with ONE parameter per statement, however large the batch (up to thousands of
  // alerts): building these through the query builder cost ~40 µs per alert (issue 16 profile).
  const ids = `{${batch.map((b) => b.alertId).join(',')}}`
  const heads = (
    await db.execute<{ id: string; source_id: string; incident_id: string | null }>(
      sql`SELECT id, source_id, incident_id FROM alerts WHERE id = ANY (${ids}::bigint[])`,
    )
  ).map((r) => ({
    alertId: Number(r.id),
    sourceId: Number(r.source_id),
    incidentId: r.incident_id === null ? null : Number(r.incident_id),
  }))
  const conditions = await loadEnabledConditions(db, [...new Set(heads.map((h) => h.sourceId))])
  const withConditions = new Set(conditions.map((c) => c.sourceId))
  // Whole alerts, e-mails and incident fields are read only for sources that have conditions.
  const subjects = await loadSubjects(
    db,
    heads.filter((h) => withConditions.has(h.sourceId)).map((h) => h.alertId),
    subjectNeedsOf(conditions),
  )
  const result = await evaluateSubjects(db, subjects, conditions)
  const evaluations = [
    ...result.evaluations,
    ...heads.filter((h) => !withConditions.has(h.sourceId)).map((h) => ({ ...h, matched: [], evaluated: 0 })),
  ]
  const { matches } = result
  const matched = evaluations.filter((e) => e.matched.length)
  const runs = await db.transaction(async (tx) => {
    if (matched.length) {
      const rows = JSON.stringify(
        matched.map((e) => ({
          alert_id: e.alertId,
          incident_id: e.incidentId,
          matched: e.matched,
          evaluated: e.evaluated,
        })),
      )
      await tx.execute(sql`
        INSERT INTO match_evaluations (alert_id, incident_id, matched_condition_ids, evaluated_conditions, is_matched)
        SELECT e.alert_id, e.incident_id, e.matched, e.evaluated, true
        FROM jsonb_to_recordset(${rows}::jsonb) AS e(alert_id bigint, incident_id bigint, matched jsonb, evaluated bigint)
        ON CONFLICT DO NOTHING`)
    }
    return offerResponses(tx, boss, matches)
  })
  return {
    evaluated: evaluations.length,
    matchedAlerts: matched.length,
    runs: runs.length,
  }
}
