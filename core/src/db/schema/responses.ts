import { sql } from 'drizzle-orm'
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { connectors } from './connectors.ts'
import { users } from './identity.ts'
import { alerts, incidents, sources } from './incidents.ts'

const id = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity()
const ts = (name: string) => timestamp(name, { withTimezone: true })
const ref = (name: string) => bigint(name, { mode: 'number' })

/** Typed lists (ip, host, url, hash, user, email), served to firewalls as plain-text feeds. */
export const lists = pgTable(
  'lists',
  {
    id: id(),
    name: text('name').notNull(),
    type: text('type').notNull(),
    description: text('description').notNull().default(''),
    feedTokenHash: text('feed_token_hash').unique(),
    createdBy: ref('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('lists_name_key').on(sql`lower(${t.name})`)],
)

export const listMembers = pgTable(
  'list_members',
  {
    id: id(),
    listId: ref('list_id')
      .notNull()
      .references(() => lists.id, { onDelete: 'cascade' }),
    value: text('value').notNull(),
    description: text('description').notNull().default(''),
    expiresAt: ts('expires_at'),
    originIncidentId: ref('origin_incident_id').references(() => incidents.id, { onDelete: 'set null' }),
    addedBy: ref('added_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('list_members_value_key').on(t.listId, t.value),
    index('list_members_expires_idx').on(t.expiresAt),
  ],
)

/** Match conditions: per source, ordered; a condition tree and the responses it runs. */
export const matchConditions = pgTable(
  'match_conditions',
  {
    id: id(),
    sourceId: ref('source_id').references(() => sources.id, { onDelete: 'cascade' }),
    position: integer('position').notNull().default(0),
    name: text('name').notNull(),
    condition: jsonb('condition').notNull().default({}),
    responses: jsonb('responses').notNull().default([]),
    isAutomatic: boolean('is_automatic').notNull().default(false),
    isEnabled: boolean('is_enabled').notNull().default(true),
    stopProcessing: boolean('stop_processing').notNull().default(false),
    description: text('description').notNull().default(''),
    createdBy: ref('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('match_conditions_source_idx').on(t.sourceId, t.position)],
)

/**
 * One run of one response on one incident. `idempotency_key` makes a retried job a no-op;
 * `approved_by` carries two-person approval; `undone_at` records undo.
 */
export const responseRuns = pgTable(
  'response_runs',
  {
    id: id(),
    incidentId: ref('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    matchConditionId: ref('match_condition_id').references(() => matchConditions.id, { onDelete: 'set null' }),
    responseType: text('response_type').notNull(),
    params: jsonb('params').notNull().default({}),
    /** offered (a button) · awaiting_approval · queued · running · succeeded · partial · failed · undone · rejected */
    status: text('status').notNull().default('pending'),
    /** what it acts on (a list value, an address, a URL): part of the idempotency key */
    target: text('target').notNull().default(''),
    attempts: integer('attempts').notNull().default(0),
    result: jsonb('result'),
    error: text('error'),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    requestedBy: ref('requested_by').references(() => users.id, { onDelete: 'set null' }),
    approvedBy: ref('approved_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
    undoneAt: ts('undone_at'),
  },
  (t) => [index('response_runs_incident_idx').on(t.incidentId)],
)

/**
 * Quarantine of one message in one mailbox for one incident: everything needed to undo it
 * (original folder, read state, provider ids) and its status.
 */
export const quarantineRecords = pgTable(
  'quarantine_records',
  {
    id: id(),
    incidentId: ref('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    alertId: ref('alert_id').references(() => alerts.id, { onDelete: 'set null' }),
    responseRunId: ref('response_run_id').references(() => responseRuns.id, { onDelete: 'set null' }),
    mailbox: text('mailbox').notNull(),
    messageId: text('message_id').notNull(),
    provider: text('provider'),
    providerMessageId: text('provider_message_id'),
    originalFolder: text('original_folder'),
    quarantineFolder: text('quarantine_folder'),
    isRead: boolean('is_read'),
    /** original · dl · forward · search (shown as Original Recipient / Distribution List / Forwarded / Search) */
    recipientType: text('recipient_type').notNull().default('original'),
    /** pending · quarantining · successful · failed · not_found · whitelisted · restoring · undone */
    status: text('status').notNull().default('pending'),
    /** the mail connector the mailbox was routed to */
    connectorId: ref('connector_id').references(() => connectors.id, { onDelete: 'set null' }),
    /** the group (dl) or forwarding mailbox (forward) that led here */
    via: text('via'),
    /** forward-following depth: 0 for the alert's own recipients */
    depth: integer('depth').notNull().default(0),
    /** how the message is found again: the locator (MailLocator) */
    locator: jsonb('locator'),
    /** every copy in this mailbox: { original: MailCopy, quarantined: MailCopy | null }[]; originals are written before any move */
    copies: jsonb('copies').notNull().default([]),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    details: text('details').notNull().default(''),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
    undoneAt: ts('undone_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('quarantine_records_key').on(t.incidentId, t.mailbox, t.messageId)],
)

/** Plain-text e-mail templates with {{placeholders}} for notification responses. */
export const notificationTemplates = pgTable('notification_templates', {
  id: id(),
  name: text('name').notNull().unique(),
  subject: text('subject').notNull(),
  body: text('body').notNull(),
  isBuiltin: boolean('is_builtin').notNull().default(false),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
})

/** In-app workflow notifications (assigned, state changed, score over threshold, response finished/failed). */
export const userNotifications = pgTable(
  'user_notifications',
  {
    id: id(),
    userId: ref('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    incidentId: ref('incident_id').references(() => incidents.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    message: text('message').notNull(),
    readAt: ts('read_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    /** set when the e-mail went out (or was given up on): the outbox the notification.email job drains */
    emailedAt: ts('emailed_at'),
  },
  (t) => [
    index('user_notifications_user_idx').on(t.userId, t.readAt, t.createdAt),
    index('user_notifications_unsent_idx').on(t.createdAt).where(sql`emailed_at IS NULL`),
  ],
)
