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
  const shape = appendStatement(items.length)
  const params: (string | number | null)[] = []
  for (const [i, it] of items.entries()) {
    const { alert_id: _, ...item } = toBatchItem(it, alertIds[i]!, false)
    params.push(alertIds[i]!, it.sourceId, it.raw, JSON.stringify(item))
  }
  // Padding rows (all NULL) fill the batch up to its statement's size; the WHERE drops them.
  while (params.length < shape.rows * 4) params.push(null, null, null, null)
  params.push(INTAKE_CHANNEL)
  await db.$client.unsafe(shape.text, params, { prepare: true })
  return alertIds.map((alertId) => ({ alertId }))
}

/**
 * The append statement for a batch of `n` alerts: one multi-row VALUES with a parameter per value
 * (the raw body and the item travel as plain text parameters, no array-literal escaping on either
 * side), sized to the next power of two. A statement per exact batch size meant hundreds of
 * distinct statements per connection, each parsed, described (one more round trip) and planned
 * afresh, and kept in the driver's cache (issue 16); with ten sizes each connection prepares a
 * statement once and reuses its plan.
 */
const appendStatement = (n: number) => {
  let rows = 1
  while (rows < n) rows *= 2
  let shape = shapes.get(rows)
  if (!shape) {
    const values = Array.from({ length: rows }, (_, r) => {
      const p = r * 4
      return `($${p + 1}::bigint, $${p + 2}::bigint, $${p + 3}::text, $${p + 4}::text)`
    })
    shape = {
      rows,
      text: `WITH ins AS (
        INSERT INTO intake_log (alert_id, source_id, raw, item)
        SELECT v.a, v.s, v.r, v.i::jsonb FROM (VALUES ${values.join(', ')}) AS v(a, s, r, i) WHERE v.a IS NOT NULL)
      SELECT pg_notify($${rows * 4 + 1}, '')`,
    }
    shapes.set(rows, shape)
  }
  return shape
}
const shapes = new Map<number, { rows: number; text: string }>()
