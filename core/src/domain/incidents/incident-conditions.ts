import { type SQL, sql } from 'drizzle-orm'
import { textArray } from '../../db/sql-arrays.ts'
import type { Actor } from '../../policy/actor.ts'
import { visibleAt } from '../../policy/index.ts'
import type { IncidentSort } from './list-incidents.ts'

export type IncidentFilter = {
  states?: string[]
  createdFrom?: Date
  createdTo?: Date
  closedFrom?: Date
  closedTo?: Date
  severities?: string[]
  sourceId?: number
  teamId?: number
  assigneeId?: number | 'none'
  abuseDisposition?: string
  classification?: string
  /** free text over subject, sender, recipient, message-id, hosts and users (case-insensitive) */
  q?: string
  /** the sort column (default created) and direction (default desc: newest, highest first) */
  sort?: IncidentSort
  order?: 'desc' | 'asc'
  limit?: number
  cursor?: string
  /** false skips the per-state counts (a full count is the slow part on a large table; the UI loads it separately) */
  withCounts?: boolean
}

/** The value of the incident field `name` of incident `i`. */
export const fieldValue = (name: string) =>
  sql`(SELECT v.value FROM incident_field_values v JOIN incident_fields f ON f.id = v.field_id WHERE v.incident_id = i.id AND f.name = ${name})`

/** The WHERE clause of the incident list: visibility first, then every filter (state only when `withState`). */
export const incidentConditions = (actor: Actor, f: IncidentFilter, withState: boolean): SQL => {
  const parts: SQL[] = [visibleAt(actor, 'i')]
  if (withState && f.states?.length) parts.push(sql`i.state::text = ANY(${textArray(f.states)})`)
  if (f.createdFrom) parts.push(sql`i.created_at >= ${f.createdFrom.toISOString()}::timestamptz`)
  if (f.createdTo) parts.push(sql`i.created_at < ${f.createdTo.toISOString()}::timestamptz`)
  if (f.closedFrom) parts.push(sql`i.closed_at >= ${f.closedFrom.toISOString()}::timestamptz`)
  if (f.closedTo) parts.push(sql`i.closed_at < ${f.closedTo.toISOString()}::timestamptz`)
  if (f.severities?.length) parts.push(sql`i.severity = ANY(${textArray(f.severities)})`)
  if (f.sourceId)
    parts.push(
      sql`(i.source_id = ${f.sourceId} OR EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = i.id AND a.source_id = ${f.sourceId}))`,
    )
  if (f.teamId) parts.push(sql`i.team_id = ${f.teamId}`)
  if (f.assigneeId === 'none') parts.push(sql`i.assignee_id IS NULL`)
  else if (f.assigneeId) parts.push(sql`i.assignee_id = ${f.assigneeId}`)
  if (f.abuseDisposition) parts.push(sql`${fieldValue('Abuse Disposition')} = ${f.abuseDisposition}`)
  if (f.classification) parts.push(sql`coalesce(${fieldValue('Classification')}, i.type) = ${f.classification}`)
  const q = f.q?.trim()
  if (q) {
    const like = `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`
    parts.push(sql`(i.summary ILIKE ${like} OR i.id::text = ${q}
      OR EXISTS (SELECT 1 FROM alerts a JOIN alert_emails e ON e.alert_id = a.id WHERE a.incident_id = i.id
        AND (e.subject ILIKE ${like} OR e.sender ILIKE ${like} OR e.message_id ILIKE ${like} OR array_to_string(e.recipients, ' ') ILIKE ${like}))
      OR EXISTS (SELECT 1 FROM incident_hosts h WHERE h.incident_id = i.id AND h.host ILIKE ${like})
      OR EXISTS (SELECT 1 FROM incident_users u WHERE u.incident_id = i.id AND u.username ILIKE ${like}))`)
  }
  return sql.join(parts, sql` AND `)
}
