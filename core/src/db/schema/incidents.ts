import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { teams, users } from './identity.ts'

const id = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity()
const ts = (name: string) => timestamp(name, { withTimezone: true })
const ref = (name: string) => bigint(name, { mode: 'number' })

export const incidentState = pgEnum('incident_state', ['new', 'open', 'assigned', 'closed', 'ignored'])

/**
 * Configured alert sources. `type` selects the intake path (json, csv now; abuse_mailbox, tap,
 * syslog ... later) and `settings` its typed settings. JSON sources find their token by
 * `token_hash`; the token itself is a credential (owner_kind 'source').
 */
export const sources = pgTable(
  'sources',
  {
    id: id(),
    name: text('name').notNull(),
    type: text('type').notNull(),
    settings: jsonb('settings').notNull().default({}),
    linkingRules: jsonb('linking_rules').notNull().default({}),
    tokenHash: text('token_hash').unique(),
    isEnabled: boolean('is_enabled').notNull().default(true),
    createdBy: ref('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('sources_name_key').on(sql`lower(${t.name})`)],
)

/** Incidents. Ids increase with creation time (compatible clients rely on it). */
export const incidents = pgTable(
  'incidents',
  {
    id: id(),
    state: incidentState('state').notNull().default('new'),
    type: text('type').notNull().default('Unknown'),
    severity: text('severity').notNull().default('Informational'),
    score: integer('score').notNull().default(0),
    summary: text('summary').notNull().default(''),
    description: text('description').notNull().default(''),
    teamId: ref('team_id').references(() => teams.id, { onDelete: 'set null' }),
    assigneeId: ref('assignee_id').references(() => users.id, { onDelete: 'set null' }),
    isPrivate: boolean('is_private').notNull().default(false),
    sourceId: ref('source_id').references(() => sources.id, { onDelete: 'set null' }),
    campaignId: text('campaign_id'),
    closeSummary: text('close_summary').notNull().default(''),
    closeDetail: text('close_detail').notNull().default(''),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    closedAt: ts('closed_at'),
    firstActionAt: ts('first_action_at'),
  },
  (t) => [
    index('incidents_created_idx').on(t.createdAt, t.id),
    // Partial: most incidents have neither a close time nor a team while they are new, and every
    // query on these columns asks for a value (issue 16: fewer index entries per new incident).
    index('incidents_closed_idx').on(t.closedAt, t.id).where(sql`${t.closedAt} IS NOT NULL`),
    index('incidents_state_created_idx').on(t.state, t.createdAt, t.id),
    index('incidents_team_idx').on(t.teamId).where(sql`${t.teamId} IS NOT NULL`),
  ],
)

/**
 * Alerts (events): the raw payload verbatim plus normalised fields. `external_id` makes intake
 * idempotent for sources that provide one; `link_key` is what incident linking matched on.
 */
export const alerts = pgTable(
  'alerts',
  {
    id: id(),
    sourceId: ref('source_id')
      .notNull()
      .references(() => sources.id),
    incidentId: ref('incident_id').references(() => incidents.id, { onDelete: 'set null' }),
    externalId: text('external_id'),
    receivedAt: ts('received_at').notNull().defaultNow(),
    raw: text('raw').notNull(),
    rawContentType: text('raw_content_type').notNull().default('application/json'),
    classification: text('classification').notNull().default('unknown'),
    severity: text('severity').notNull().default('info'),
    summary: text('summary').notNull().default(''),
    description: text('description').notNull().default(''),
    attackDirection: text('attack_direction').notNull().default('inbound'),
    attackers: jsonb('attackers').notNull().default([]),
    targets: jsonb('targets').notNull().default([]),
    cncHosts: jsonb('cnc_hosts').notNull().default([]),
    forensicsHosts: jsonb('forensics_hosts').notNull().default([]),
    detector: jsonb('detector').notNull().default({}),
    threatInfo: jsonb('threat_info').notNull().default({}),
    customFields: jsonb('custom_fields').notNull().default({}),
    linkAttribute: text('link_attribute'),
    linkKey: text('link_key'),
    campaignId: text('campaign_id'),
    isFalsePositive: boolean('is_false_positive').notNull().default(false),
  },
  (t) => [
    index('alerts_incident_idx').on(t.incidentId),
    index('alerts_received_idx').on(t.receivedAt),
    // No index on link_key: no query looks alerts up by it (keys are found in incident_link_keys),
    // and external_id is unique only where a source gives one (issue 16: two index entries fewer
    // per linked alert).
    uniqueIndex('alerts_source_external_key').on(t.sourceId, t.externalId).where(sql`${t.externalId} IS NOT NULL`),
  ],
)

/** Emails carried by an alert (an abuse report carries the report and the reported original). */
export const alertEmails = pgTable(
  'alert_emails',
  {
    id: id(),
    alertId: ref('alert_id')
      .notNull()
      .references(() => alerts.id, { onDelete: 'cascade' }),
    messageId: text('message_id'),
    sender: text('sender').notNull().default(''),
    recipients: text('recipients').array().notNull().default(sql`'{}'::text[]`),
    subject: text('subject').notNull().default(''),
    deliveredAt: ts('delivered_at'),
    headers: jsonb('headers').notNull().default({}),
    urls: text('urls').array().notNull().default(sql`'{}'::text[]`),
    attachments: jsonb('attachments').notNull().default([]),
    isAbuseCopy: boolean('is_abuse_copy').notNull().default(false),
    originalSha256: text('original_sha256'),
  },
  (t) => [
    index('alert_emails_alert_idx').on(t.alertId),
    index('alert_emails_message_id_idx').on(t.messageId),
    // the analysis asks whether a sender domain was seen before (domain/analysis/gather-analysis-context.ts)
    index('alert_emails_sender_domain_idx').on(sql`lower(split_part(${t.sender}, '@', 2))`),
  ],
)

/** Incident field definitions: the five built-ins plus admin-defined custom fields. */
export const incidentFields = pgTable('incident_fields', {
  id: id(),
  name: text('name').notNull().unique(),
  kind: text('kind').notNull().default('text'),
  options: text('options').array().notNull().default(sql`'{}'::text[]`),
  isBuiltin: boolean('is_builtin').notNull().default(false),
  createdAt: ts('created_at').notNull().defaultNow(),
})

export const incidentFieldValues = pgTable(
  'incident_field_values',
  {
    incidentId: ref('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    fieldId: ref('field_id')
      .notNull()
      .references(() => incidentFields.id, { onDelete: 'cascade' }),
    value: text('value'),
  },
  (t) => [
    primaryKey({ columns: [t.incidentId, t.fieldId] }),
    index('incident_field_values_value_idx').on(t.fieldId, t.value),
  ],
)

/** Hosts seen on an incident: attacker / cnc / forensics / url. */
export const incidentHosts = pgTable(
  'incident_hosts',
  {
    incidentId: ref('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    host: text('host').notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.kind, t.host] }), index('incident_hosts_host_idx').on(t.host)],
)

/** Users on an incident: targets / attackers (directory data attaches to these later). */
export const incidentUsers = pgTable(
  'incident_users',
  {
    incidentId: ref('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    username: text('username').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.incidentId, t.kind, t.username] }),
    index('incident_users_username_idx').on(t.username),
  ],
)

/**
 * Every change to an incident: field changes (disposition history included), state changes,
 * comments, assignment, links. The compatible API's comment POST answers one of these rows.
 */
export const incidentHistory = pgTable(
  'incident_history',
  {
    id: id(),
    incidentId: ref('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    userId: ref('user_id').references(() => users.id, { onDelete: 'set null' }),
    actorLabel: text('actor_label').notNull().default('system'),
    historyType: text('history_type').notNull(),
    field: text('field'),
    stateFrom: text('state_from'),
    stateTo: text('state_to'),
    summary: text('summary').notNull().default(''),
    detail: text('detail').notNull().default(''),
    responseId: ref('response_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('incident_history_incident_idx').on(t.incidentId, t.createdAt)],
)

/** Investigations group incidents; private like incidents. */
export const investigations = pgTable('investigations', {
  id: id(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  state: text('state').notNull().default('open'),
  teamId: ref('team_id').references(() => teams.id, { onDelete: 'set null' }),
  assigneeId: ref('assignee_id').references(() => users.id, { onDelete: 'set null' }),
  isPrivate: boolean('is_private').notNull().default(false),
  createdBy: ref('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  closedAt: ts('closed_at'),
})

export const investigationIncidents = pgTable(
  'investigation_incidents',
  {
    investigationId: ref('investigation_id')
      .notNull()
      .references(() => investigations.id, { onDelete: 'cascade' }),
    incidentId: ref('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    linkedBy: ref('linked_by').references(() => users.id, { onDelete: 'set null' }),
    linkedAt: ts('linked_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.investigationId, t.incidentId] }),
    index('investigation_incidents_incident_idx').on(t.incidentId),
  ],
)

export const investigationHistory = pgTable(
  'investigation_history',
  {
    id: id(),
    investigationId: ref('investigation_id')
      .notNull()
      .references(() => investigations.id, { onDelete: 'cascade' }),
    userId: ref('user_id').references(() => users.id, { onDelete: 'set null' }),
    actorLabel: text('actor_label').notNull().default('system'),
    historyType: text('history_type').notNull(),
    summary: text('summary').notNull().default(''),
    detail: text('detail').notNull().default(''),
    incidentId: ref('incident_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('investigation_history_idx').on(t.investigationId, t.createdAt)],
)

/** Files attached to an incident or an investigation; bytes live in the data directory by SHA-256. */
export const attachments = pgTable(
  'attachments',
  {
    id: id(),
    incidentId: ref('incident_id').references(() => incidents.id, { onDelete: 'cascade' }),
    investigationId: ref('investigation_id').references(() => investigations.id, { onDelete: 'cascade' }),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull().default('application/octet-stream'),
    size: bigint('size', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    uploadedBy: ref('uploaded_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('attachments_incident_idx').on(t.incidentId),
    index('attachments_investigation_idx').on(t.investigationId),
  ],
)

/** Findings written by enrichment jobs (intel hits, directory context, reputation, whois, geo). */
export const enrichmentFindings = pgTable(
  'enrichment_findings',
  {
    id: id(),
    incidentId: ref('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    alertId: ref('alert_id').references(() => alerts.id, { onDelete: 'cascade' }),
    source: text('source').notNull(),
    kind: text('kind').notNull(),
    subject: text('subject').notNull(),
    data: jsonb('data').notNull().default({}),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('enrichment_findings_incident_idx').on(t.incidentId)],
)
