import { sql } from 'drizzle-orm'
import { bigint, boolean, index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'
import { alerts, incidents, sources } from './incidents.ts'

const ts = (name: string) => timestamp(name, { withTimezone: true })
const ref = (name: string) => bigint(name, { mode: 'number' })

/**
 * The keys an incident was linked on (`la:<attribute>:<value>`, `mid:<message-id>`, `rule:...`).
 * Intake takes a transaction-scoped advisory lock on each key before looking it up here, so
 * parallel alerts with the same key end up in one incident.
 */
export const incidentLinkKeys = pgTable(
  'incident_link_keys',
  {
    key: text('key').notNull(),
    incidentId: ref('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.key, t.incidentId] }), index('incident_link_keys_incident_idx').on(t.incidentId)],
)

/**
 * What the `alert.match` job found: one row per alert that matched (the matched condition ids and
 * how many conditions were evaluated; `is_matched` is true on every row written since issue 16,
 * earlier rows may record an alert that matched nothing). Responses come from the same transaction.
 */
export const matchEvaluations = pgTable(
  'match_evaluations',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    alertId: ref('alert_id')
      .notNull()
      .references(() => alerts.id, { onDelete: 'cascade' })
      .unique(),
    incidentId: ref('incident_id').references(() => incidents.id, { onDelete: 'cascade' }),
    matchedConditionIds: jsonb('matched_condition_ids').notNull().default([]),
    evaluatedConditions: bigint('evaluated_conditions', { mode: 'number' }).notNull().default(0),
    isMatched: boolean('is_matched').notNull().default(false),
    evaluatedAt: ts('evaluated_at').notNull().defaultNow(),
  },
  (t) => [index('match_evaluations_incident_idx').on(t.incidentId)],
)

/**
 * The durable intake log (issue 16): one row per acknowledged alert, appended by the request path
 * with group commit and deleted by the linker in the transaction that links it (so a row exists
 * exactly while its alert waits to be linked). Only the primary key is indexed: the log is written
 * at the request rate and read in id order. `alert_id` is taken from the alerts sequence before the
 * append, so the request can answer it; `item` holds the normalised alert, its link key and what
 * the linker derives from it (the argument shape of `intake_store_alerts`, without the raw body).
 */
export const intakeLog = pgTable('intake_log', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  alertId: ref('alert_id').notNull(),
  sourceId: ref('source_id')
    .notNull()
    .references(() => sources.id),
  receivedAt: ts('received_at').notNull().defaultNow(),
  raw: text('raw').notNull(),
  item: jsonb('item').notNull(),
  /** The item's link key, kept as a column when the row is appended: the linker reads it for every
   * row it claims, holds back and locks, instead of taking it out of the jsonb each time. */
  linkKey: text('link_key').generatedAlwaysAs(sql`item->>'link_key'`),
})

/**
 * Intake log rows the linker could not link (a row that fails its batch even alone): set aside
 * with the database's error so the rows behind it keep flowing. Shown on the system page and on
 * /metrics; an operator fixes the cause and moves the row back into `intake_log`.
 */
export const intakeFailed = pgTable('intake_failed', {
  id: bigint('id', { mode: 'number' }).primaryKey(),
  alertId: ref('alert_id').notNull(),
  sourceId: ref('source_id').notNull(),
  receivedAt: ts('received_at').notNull(),
  raw: text('raw').notNull(),
  item: jsonb('item').notNull(),
  error: text('error').notNull(),
  failedAt: ts('failed_at').notNull().defaultNow(),
})
