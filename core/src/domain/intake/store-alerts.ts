import type { Db } from '../../db/client.ts'
import { alertMatchJob } from '../../jobs/alert-match.ts'
import type { PgBoss } from '../../jobs/boss.ts'
import { hostsOf, type PendingAlert, usersOf } from '../alerts/alert-model.ts'
import { incidentSeverityOf, incidentTypeOf, scoreOf } from '../alerts/link-key.ts'

export type { PendingAlert }
export type StoredAlert = { alertId: number; incidentId: number; isNewIncident: boolean }

/**
 * One alert in the argument shape of `intake_store_alerts` (migration 0003) and of the intake log's
 * `item` (migration 0008): link key and window, the incident it would open, the alerts columns,
 * e-mails, and the hosts and users it adds to its incident. The log keeps the raw body in its own
 * column (`withRaw` false).
 */
export const toBatchItem = (it: PendingAlert, alertId: number, withRaw = true) => ({
  alert_id: alertId,
  link_key: it.link?.key ?? null,
  link_win: it.link?.windowSeconds ?? null,
  inc: {
    type: incidentTypeOf(it.alert.classification),
    severity: incidentSeverityOf(it.alert.severity),
    score: scoreOf(it.alert.severity),
    summary: it.alert.summary.slice(0, 1000),
    source_id: it.sourceId,
  },
  alert: {
    source_id: it.sourceId,
    raw: withRaw ? it.raw : undefined,
    raw_content_type: it.rawContentType ?? 'application/json',
    classification: it.alert.classification,
    severity: it.alert.severity,
    summary: it.alert.summary,
    description: it.alert.description,
    attackers: it.alert.attackers,
    targets: it.alert.targets,
    cnc_hosts: it.alert.cncHosts,
    forensics_hosts: it.alert.forensicsHosts,
    detector: it.alert.detector,
    threat_info: it.alert.threatInfo,
    custom_fields: it.alert.customFields,
    link_attribute: it.alert.linkAttribute,
  },
  emails: it.alert.emails.map((m) => ({
    message_id: m.messageId,
    sender: m.sender,
    recipients: m.recipients,
    subject: m.subject,
    delivered_at: m.deliveredAt,
    headers: m.headers,
    urls: m.urls,
    attachments: m.attachments,
    is_abuse_copy: m.isAbuseCopy,
    original_sha256: m.originalSha256 ?? null,
  })),
  hosts: hostsOf(it.alert),
  users: usersOf(it.alert),
})

const ID_BLOCK = 1000
const idPools = new WeakMap<Db, number[]>()

/**
 * Alert ids for a batch, taken from the alerts sequence in blocks of 1,000 per process (a gap is
 * left by a process that stops; ids order nothing: lists order by time and id).
 */
export const takeAlertIds = async (db: Db, n: number): Promise<number[]> => {
  const pool = idPools.get(db) ?? []
  idPools.set(db, pool)
  if (pool.length < n) {
    const rows = await db.$client<{ id: string }[]>`
      SELECT nextval(q.seq)::text AS id
      FROM (SELECT pg_get_serial_sequence('alerts', 'id')::regclass AS seq) q, generate_series(1, ${Math.max(n, ID_BLOCK)}::int)`
    pool.push(...rows.map((r) => Number(r.id)))
  }
  return pool.splice(0, n)
}

/**
 * Stores a batch of alerts in one transaction (group commit) and one round trip: BEGIN, one call
 * of the `intake_store_alerts` database function (migration 0003: link-key locks, look-up of the
 * most recent open incident per key, new incidents, link keys, history, alerts, emails, hosts,
 * users), the batch's `alert.match` job, and COMMIT are pipelined on one connection. All or
 * nothing: when any of them fails, PostgreSQL turns the COMMIT into a rollback and this throws;
 * nothing of the batch exists. Intake is not written to the audit log (alerts carry their source
 * and time; incident creation is in incident_history); analyst and admin actions are.
 */
export const storeAlerts = async (db: Db, boss: PgBoss, items: PendingAlert[]): Promise<StoredAlert[]> => {
  if (items.length === 0) return []
  const alertIds = await takeAlertIds(db, items.length)
  const batch = items.map((it, i) => toBatchItem(it, alertIds[i]!))
  const conn = await db.$client.reserve()
  try {
    // Queries run in the order they are executed; none waits for the previous answer. Their
    // outcomes are collected at once: pg-boss may do I/O before issuing its INSERT (a queue-cache
    // miss), and a failure arriving meanwhile must not be an unhandled rejection.
    type Row = { alert_id: string; incident_id: string; is_new: boolean }
    const json = JSON.stringify(batch)
    const stored = Promise.allSettled([
      conn.unsafe('BEGIN').execute(),
      conn<Row[]>`SELECT alert_id, incident_id, is_new FROM intake_store_alerts(${json}::jsonb)`.execute(),
    ])
    let issued!: () => void
    const jobIssued = new Promise<void>((resolve) => {
      issued = resolve
    })
    const job = boss.send(
      alertMatchJob.name,
      alertMatchJob.payload.parse({ alerts: alertIds.map((alertId) => ({ alertId })) }),
      {
        db: {
          executeSql: (text: string, values?: unknown[]) => {
            const q = conn.unsafe(text, values as never[], { prepare: true }).execute()
            issued()
            return q.then((rows) => ({ rows }))
          },
        },
      },
    )
    // COMMIT goes after pg-boss's INSERT; should pg-boss fail before issuing it, ROLLBACK instead.
    const sendFailed = await Promise.race([jobIssued, job]).then(
      () => false,
      () => true,
    )
    const ended = Promise.allSettled([job, conn.unsafe(sendFailed ? 'ROLLBACK' : 'COMMIT').execute()])
    const [begin, store] = await stored
    const failed = [begin, store, ...(await ended)].find((r) => r.status === 'rejected')
    if (failed) {
      await conn.unsafe('ROLLBACK').catch(() => {})
      throw (failed as PromiseRejectedResult).reason
    }
    const rows = (store as PromiseFulfilledResult<Row[]>).value
    return rows.map((r) => ({
      alertId: Number(r.alert_id),
      incidentId: Number(r.incident_id),
      isNewIncident: r.is_new,
    }))
  } finally {
    conn.release()
  }
}
