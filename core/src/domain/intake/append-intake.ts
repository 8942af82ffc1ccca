import type { Db } from '../../db/client.ts'
import { type PendingAlert, takeAlertIds, toBatchItem } from './store-alerts.ts'

export type AppendedAlert = { alertId: number }

/** The channel the intake path notifies after each append; linkers LISTEN on it. */
export const INTAKE_CHANNEL = 'clawback_intake'

/**
 * Appends a batch of alerts to the durable intake log (`intake_log`, migration 0008) in ONE
 * autocommit statement (group commit: one transaction and one WAL flush for the whole batch), then
 * wakes the linkers (`wakeLinkers`). Alert ids come from the alerts sequence beforehand
 * (per-process blocks), so each request can answer its alert id; the linker stores the alert under
 * that id. Resolves only after the commit; throws (and nothing of the batch exists) when it fails.
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
  await db.$client.unsafe(shape.text, params, { prepare: true })
  wakeLinkers(db)
  return alertIds.map((alertId) => ({ alertId }))
}

/**
 * NOTIFYs the linkers (`clawback_intake`) after rows were committed to the intake log, in its own
 * autocommit statement and at most one at a time per process: a call while one is on its way sends
 * one more after it (so a notification always follows the latest commit), and calls meanwhile fold
 * into that one. Never inside the appending transaction: PostgreSQL serialises every transaction
 * that NOTIFYs on one cluster-wide lock held through its commit, WAL flush included, so concurrent
 * group commits that notified ran one at a time (issue 16: 10.6 ms per 16-alert append with four
 * in flight). A NOTIFY alone assigns no transaction id and writes no WAL, so its lock is brief. A
 * failed NOTIFY is left to the linkers' poll.
 */
export const wakeLinkers = (db: Db) => {
  const state = notifiers.get(db) ?? { sending: false, again: false }
  notifiers.set(db, state)
  if (state.sending) {
    state.again = true
    return
  }
  state.sending = true
  state.again = false
  db.$client
    .unsafe("SELECT pg_notify($1, '')", [INTAKE_CHANNEL], { prepare: true })
    .catch(() => {})
    .finally(() => {
      state.sending = false
      if (state.again) wakeLinkers(db)
    })
}
const notifiers = new WeakMap<Db, { sending: boolean; again: boolean }>()

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
      text: `INSERT INTO intake_log (alert_id, source_id, raw, item)
        SELECT v.a, v.s, v.r, v.i::jsonb FROM (VALUES ${values.join(', ')}) AS v(a, s, r, i) WHERE v.a IS NOT NULL`,
    }
    shapes.set(rows, shape)
  }
  return shape
}
const shapes = new Map<number, { rows: number; text: string }>()
