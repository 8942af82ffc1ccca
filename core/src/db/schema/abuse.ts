import { bigint, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { sources } from './incidents.ts'

const ts = (name: string) => timestamp(name, { withTimezone: true })
const ref = (name: string) => bigint(name, { mode: 'number' })

/**
 * One row per user report read from an abuse mailbox. The unique (source, provider key) — IMAP
 * `UIDVALIDITY:UID`, a Graph/Gmail/EWS message id — is written in the same transaction that
 * appends the report's alert to the intake log, so a report is stored exactly once whatever
 * happens between that commit and the move out of the folder: a poller that finds its key here
 * only moves the message. `alert_id` is the alert the linker stores (it exists once linked).
 */
export const abuseReports = pgTable(
  'abuse_reports',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    sourceId: ref('source_id')
      .notNull()
      .references(() => sources.id, { onDelete: 'cascade' }),
    providerKey: text('provider_key').notNull(),
    alertId: ref('alert_id').notNull(),
    reporter: text('reporter').notNull().default(''),
    reporterName: text('reporter_name').notNull().default(''),
    reportedAt: ts('reported_at'),
    subject: text('subject').notNull().default(''),
    /** how the original was found: rfc822, msg, forwarded-inline, direct */
    originalFormat: text('original_format').notNull(),
    originalMessageId: text('original_message_id'),
    reportSha256: text('report_sha256').notNull(),
    originalSha256: text('original_sha256').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('abuse_reports_source_key').on(t.sourceId, t.providerKey),
    index('abuse_reports_alert_idx').on(t.alertId),
  ],
)

/**
 * The health of one abuse-mailbox source as its poller last saw it (one row per source): last
 * poll, backlog, last error; and the lease that lets one worker process at a time poll it.
 */
export const abuseMailboxState = pgTable('abuse_mailbox_state', {
  sourceId: ref('source_id')
    .primaryKey()
    .references(() => sources.id, { onDelete: 'cascade' }),
  lastPollAt: ts('last_poll_at'),
  lastSuccessAt: ts('last_success_at'),
  backlog: integer('backlog'),
  processed: bigint('processed', { mode: 'number' }).notNull().default(0),
  lastError: text('last_error'),
  lastErrorAt: ts('last_error_at'),
  failures: integer('failures').notNull().default(0),
  /** idle (IMAP IDLE) or poll: how the poller waits for mail */
  mode: text('mode'),
  leaseOwner: text('lease_owner'),
  leaseUntil: ts('lease_until'),
  /** where the next reader resumes (Graph: the folder's deltaLink once all it covers is processed); opaque, the connector's */
  resumePoint: text('resume_point'),
})
