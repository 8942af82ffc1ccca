import type { Db } from '../../db/client.ts'
import { alertMatchJob } from '../../jobs/alert-match.ts'
import type { PgBoss } from '../../jobs/boss.ts'
import { metrics } from '../../metrics.ts'

export type LinkedAlert = { alertId: number; incidentId: number; isNewIncident: boolean; receivedMs: number }

const waiters = new WeakMap<Db, Map<number, ((incidentId: number) => void)[]>>()

const settle = (db: Db, linked: LinkedAlert[]) => {
  const w = waiters.get(db)
  if (!w?.size) return
  for (const l of linked) {
    const list = w.get(l.alertId)
    if (!list) continue
    w.delete(l.alertId)
    for (const resolve of list) resolve(l.incidentId)
  }
}

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
    if (linked.length)
      await boss.send(
        alertMatchJob.name,
        alertMatchJob.payload.parse({ alerts: linked.map((r) => ({ alertId: Number(r.alert_id) })) }),
        {
          db: {
            executeSql: async (text: string, values?: unknown[]) => ({
              rows: await sql.unsafe(text, values as never[], { prepare: true }),
            }),
          },
        },
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
  settle(db, linked)
  return linked
}

/**
 * After a batch failed: links the oldest free row of the log alone, and if it fails alone too,
 * sets it aside in `intake_failed` with the database's error (in the same transaction that holds
 * its row lock), so one row that cannot be linked never stops the rows behind it. Returns whether
 * a row was set aside.
 */
export const linkOldestOrSetAside = async (db: Db, boss: PgBoss): Promise<boolean> => {
  const failed = await db.$client.begin(async (sql) => {
    const [row] = await sql<{ id: string }[]>`SELECT id FROM intake_log ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`
    if (!row) return null
    try {
      await sql.savepoint(async (sp) => {
        const linked = await sp<{ alert_id: string }[]>`SELECT alert_id FROM intake_link_batch(1)`
        if (linked.length)
          await boss.send(
            alertMatchJob.name,
            alertMatchJob.payload.parse({ alerts: linked.map((r) => ({ alertId: Number(r.alert_id) })) }),
            {
              db: {
                executeSql: async (text: string, values?: unknown[]) => ({
                  rows: await sp.unsafe(text, values as never[], { prepare: true }),
                }),
              },
            },
          )
      })
      return null
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err)
      await sql`
        WITH r AS (DELETE FROM intake_log WHERE id = ${row.id} RETURNING *)
        INSERT INTO intake_failed (id, alert_id, source_id, received_at, raw, item, error)
        SELECT id, alert_id, source_id, received_at, raw, item, ${error} FROM r`
      return { id: row.id, error }
    }
  })
  return failed !== null
}

/** How many alerts wait in the intake log, and how long the oldest has waited (seconds). */
export const intakeBacklog = async (db: Db) => {
  const [row] = await db.$client<{ n: string; oldest: number | null; failed: string }[]>`
    SELECT count(*)::text AS n, extract(epoch FROM now() - min(received_at))::float8 AS oldest,
      (SELECT count(*) FROM intake_failed)::text AS failed
    FROM intake_log`
  return { alerts: Number(row!.n), oldestSeconds: row!.oldest ?? 0, failed: Number(row!.failed) }
}

/**
 * Links until the intake log is empty (what tests and benchmarks call before reading incidents).
 * Rows another linker holds are waited for, not skipped: it returns once the log is empty.
 */
export const drainIntake = async (db: Db, boss: PgBoss, timeoutMs = 60_000) => {
  const until = Date.now() + timeoutMs
  for (;;) {
    const linked = await linkIntakeBatch(db, boss).catch(async () => {
      await linkOldestOrSetAside(db, boss)
      return [{}]
    })
    if (linked.length) continue
    if ((await intakeBacklog(db)).alerts === 0) return
    if (Date.now() > until) throw new Error('drainIntake: the intake log did not empty in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * Resolves with the alert's incident id once it is linked, or null after `timeoutMs`. A linker in
 * this process settles it at once; a linker in another process is seen by polling the alert row.
 */
export const waitLinked = async (db: Db, alertId: number, timeoutMs: number): Promise<number | null> => {
  let w = waiters.get(db)
  if (!w) {
    w = new Map()
    waiters.set(db, w)
  }
  const map = w
  let resolveIt!: (incidentId: number) => void
  const settled = new Promise<number>((resolve) => {
    resolveIt = resolve
  })
  map.set(alertId, [...(map.get(alertId) ?? []), resolveIt])
  const until = Date.now() + timeoutMs
  let done = false
  const poll = async () => {
    while (!done && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250))
      if (done) return
      const [row] = await db.$client<
        { incident_id: string | null }[]
      >`SELECT incident_id FROM alerts WHERE id = ${alertId}`
      if (row?.incident_id) return resolveIt(Number(row.incident_id))
    }
  }
  let timeout: NodeJS.Timeout | undefined
  const timer = new Promise<null>((resolve) => {
    timeout = setTimeout(() => resolve(null), timeoutMs)
  })
  void poll().catch(() => {})
  try {
    return await Promise.race([settled, timer])
  } finally {
    clearTimeout(timeout)
    done = true
    const list = map.get(alertId)?.filter((f) => f !== resolveIt)
    if (list?.length) map.set(alertId, list)
    else map.delete(alertId)
  }
}
