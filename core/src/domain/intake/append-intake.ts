import type { Db } from '../../db/client.ts'
import { type PendingAlert, takeAlertIds, toBatchItem } from './store-alerts.ts'

export type AppendedAlert = { alertId: number }

/** The channel the intake path notifies after each append; linkers LISTEN on it. */
export const INTAKE_CHANNEL = 'clawback_intake'

/**
 * Appends a batch of alerts to the durable intake log (`intake_log`, migration 0008) in ONE
 * autocommit statement (group commit: one transaction and one WAL flush for the whole batch) and
 * notifies the linkers. Alert ids come from the alerts sequence beforehand (per-process blocks), so
 * each request can answer its alert id; the linker stores the alert under that id. Resolves only
 * after the commit; throws (and nothing of the batch exists) when it fails.
 */
export const appendIntake = async (db: Db, items: PendingAlert[]): Promise<AppendedAlert[]> => {
  if (items.length === 0) return []
  const alertIds = await takeAlertIds(db, items.length)
  const rows = items.map((it, i) => {
    const { alert_id: _, ...item } = toBatchItem(it, alertIds[i]!, false)
    return { alert_id: alertIds[i]!, source_id: it.sourceId, raw: it.raw, item: JSON.stringify(item) }
  })
  // One multi-row VALUES with a parameter per value: the raw body and the item travel as plain
  // text parameters (no array-literal escaping on either side).
  const sql = db.$client
  await sql`
    WITH ins AS (INSERT INTO intake_log ${sql(rows, 'alert_id', 'source_id', 'raw', 'item')})
    SELECT pg_notify(${INTAKE_CHANNEL}, '')`
  return alertIds.map((alertId) => ({ alertId }))
}
