import type { Db } from '../../db/client.ts'
import type { PgBoss } from '../../jobs/boss.ts'
import { enqueueAlertMatch } from './enqueue-alert-match.ts'

/**
 * After a batch failed: links the oldest free row of the log alone, and if it fails alone too,
 * sets it aside in `intake_failed` with the database's error (in the same transaction that holds
 * its row lock), so one row that cannot be linked never stops the rows behind it. Returns whether
 * a row was set aside.
 */
export const linkOldestOrSetAside = async (db: Db, boss: PgBoss): Promise<boolean> => {
  const failed = await db.$client.begin(async (sql) => {
    // As intake_link_batch (migration 0016): the log's statistics may say "a few rows" over a large
    // file, and the oldest row is found along the primary key, never by reading the whole table.
    await sql`SET LOCAL enable_seqscan = off`
    const [row] = await sql<{ id: string }[]>`SELECT id FROM intake_log ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`
    if (!row) return null
    try {
      await sql.savepoint(async (sp) => {
        const linked = await sp<{ alert_id: string }[]>`SELECT alert_id FROM intake_link_batch(1)`
        await enqueueAlertMatch(
          sp,
          boss,
          linked.map((r) => Number(r.alert_id)),
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
