import type { Db } from '../../db/client.ts'
import type { PgBoss } from '../../jobs/boss.ts'
import { metrics } from '../../metrics.ts'
import { enqueueAlertMatch } from './enqueue-alert-match.ts'
import { type LinkedAlert, settleLinked } from './wait-linked.ts'

/**
 * Links one batch of the intake log (up to `max` rows, oldest first) in ONE transaction: the
 * `intake_link_batch` database function (migration 0008: claim with SKIP LOCKED, link-key locks,
 * incidents, link keys, history, alerts, e-mails, hosts, users, one statement per step, and the
 * deletion of the rows taken) and the batch's `alert.match` job (set-based match evaluation of the
 * whole batch). A crash before the COMMIT leaves the rows in the log for the next linker; rows whose
 * alert exists already are dropped, so a replay writes nothing twice. Returns what it linked.
 */
export const linkIntakeBatch = async (db: Db, boss: PgBoss, max = 2000): Promise<LinkedAlert[]> => {
  type Row = { alert_id: string; incident_id: string; is_new: boolean; received_ms: number }
  const rows = await db.$client.begin(async (sql) => {
    const linked = await sql<Row[]>`
      SELECT alert_id, incident_id, is_new, (extract(epoch FROM received_at) * 1000)::float8 AS received_ms
      FROM intake_link_batch(${max}::int)`
    await enqueueAlertMatch(
      sql,
      boss,
      linked.map((r) => Number(r.alert_id)),
    )
    return linked
  })
  const now = Date.now()
  const linked = rows.map((r) => ({
    alertId: Number(r.alert_id),
    incidentId: Number(r.incident_id),
    isNewIncident: r.is_new,
    receivedMs: r.received_ms,
  }))
  for (const l of linked) metrics.intakeLag.observe({}, (now - l.receivedMs) / 1000)
  metrics.intakeLinked.inc({}, linked.length)
  settleLinked(db, linked)
  return linked
}
