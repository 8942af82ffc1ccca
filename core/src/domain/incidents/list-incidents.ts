import { type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { textArray } from '../../db/sql-arrays.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { isPgTimestamp } from '../../storable.ts'
import { isoZ, visibleSql } from './compat-sql.ts'
import { encodeCursor } from './list-compat-incidents.ts'

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

/**
 * Sortable columns. Each sorts by (value, id) so keyset paging stays exact; `text` is how the
 * value travels in the cursor and `cast` how it comes back (a fixed list, never caller input).
 */
const SORTS = {
  created: { expr: sql`i.created_at`, text: sql`i.created_at::text`, cast: sql.raw('timestamptz') },
  updated: { expr: sql`i.updated_at`, text: sql`i.updated_at::text`, cast: sql.raw('timestamptz') },
  closed: {
    expr: sql`coalesce(i.closed_at, '-infinity'::timestamptz)`,
    text: sql`coalesce(i.closed_at, '-infinity'::timestamptz)::text`,
    cast: sql.raw('timestamptz'),
  },
  id: { expr: sql`i.id`, text: sql`i.id::text`, cast: sql.raw('bigint') },
  score: { expr: sql`i.score`, text: sql`i.score::text`, cast: sql.raw('int') },
  severity: {
    expr: sql`(CASE i.severity WHEN 'Critical' THEN 5 WHEN 'High' THEN 4 WHEN 'Medium' THEN 3 WHEN 'Low' THEN 2 WHEN 'Informational' THEN 1 ELSE 0 END)`,
    text: sql`(CASE i.severity WHEN 'Critical' THEN 5 WHEN 'High' THEN 4 WHEN 'Medium' THEN 3 WHEN 'Low' THEN 2 WHEN 'Informational' THEN 1 ELSE 0 END)::text`,
    cast: sql.raw('int'),
  },
} as const
export type IncidentSort = keyof typeof SORTS
export const INCIDENT_SORTS = Object.keys(SORTS) as IncidentSort[]

/** created keeps the (at|id) cursor the native API has always issued; other sorts name themselves. */
const decodeCursor = (cursor: string, sort: IncidentSort) => {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  const [value, id] =
    parts.length === 3 && parts[0] === sort
      ? [parts[1], parts[2]]
      : parts.length === 2 && sort === 'created'
        ? parts
        : []
  // The value is cast back with SORTS[sort].cast: only what that cast accepts gets that far.
  const valueOk =
    value !== undefined &&
    (sort === 'created' || sort === 'updated' || sort === 'closed'
      ? value === '-infinity' || isPgTimestamp(value)
      : sort === 'id'
        ? /^\d{1,15}$/.test(value)
        : /^-?\d{1,9}$/.test(value))
  if (!valueOk || !id || !/^\d{1,15}$/.test(id))
    throw new AppError('INVALID_REQUEST', 'cursor: not a cursor this server issued for this sort')
  return { value, id: Number(id) }
}
const encodeSortCursor = (sort: IncidentSort, value: string, id: number) =>
  sort === 'created' ? encodeCursor({ at: value, id }) : Buffer.from(`${sort}|${value}|${id}`).toString('base64url')

export type IncidentSummary = {
  id: number
  state: string
  type: string
  severity: string
  score: number
  summary: string
  isPrivate: boolean
  teamId: number | null
  team: string | null
  assigneeId: number | null
  assignee: string | null
  source: string | null
  abuseDisposition: string | null
  classification: string | null
  alertCount: number
  createdAt: string
  updatedAt: string
  closedAt: string | null
}

const fieldValue = (name: string) =>
  sql`(SELECT v.value FROM incident_field_values v JOIN incident_fields f ON f.id = v.field_id WHERE v.incident_id = i.id AND f.name = ${name})`

const conditions = (actor: Actor, f: IncidentFilter, withState: boolean): SQL => {
  const parts: SQL[] = [visibleSql(actor)]
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

/**
 * Incidents for the analyst UI and the native API: the filters the list page offers, keyset paged
 * by (sort column, id) (newest first by default), plus counts per state for the state tabs (the
 * counts apply every filter except state). Private incidents of other teams never appear, in
 * rows or counts. @throws AppError FORBIDDEN without incidents.read, INVALID_REQUEST for a bad cursor.
 */
export const listIncidents = async (db: Db, actor: Actor, f: IncidentFilter = {}) => {
  assertCan(actor, 'incidents.read')
  const limit = Math.max(1, Math.min(f.limit ?? 50, 500))
  const desc = (f.order ?? 'desc') === 'desc'
  const sort: IncidentSort = f.sort && f.sort in SORTS ? f.sort : 'created'
  const s = SORTS[sort]
  let keyset = sql``
  if (f.cursor) {
    const { value, id } = decodeCursor(f.cursor, sort)
    keyset = desc
      ? sql` AND (${s.expr}, i.id) < (${value}::${s.cast}, ${id})`
      : sql` AND (${s.expr}, i.id) > (${value}::${s.cast}, ${id})`
  }
  const dir = desc ? sql`DESC` : sql`ASC`
  const rows = await db.execute<Record<string, unknown>>(sql`
    SELECT i.id, i.state::text AS state, i.type, i.severity, i.score, i.summary, i.is_private, i.team_id, i.assignee_id,
      t.name AS team, u.username AS assignee, src.name AS source, ${s.text} AS cursor_at,
      ${fieldValue('Abuse Disposition')} AS abuse_disposition, coalesce(${fieldValue('Classification')}, i.type) AS classification,
      (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id)::int AS alert_count,
      ${isoZ(sql`i.created_at`)} AS created_at, ${isoZ(sql`i.updated_at`)} AS updated_at, ${isoZ(sql`i.closed_at`)} AS closed_at
    FROM incidents i LEFT JOIN teams t ON t.id = i.team_id LEFT JOIN users u ON u.id = i.assignee_id LEFT JOIN sources src ON src.id = i.source_id
    WHERE ${conditions(actor, f, true)}${keyset}
    ORDER BY ${s.expr} ${dir}, i.id ${dir} LIMIT ${limit + 1}`)
  const counted =
    f.withCounts === false
      ? []
      : await db.execute<{ state: string; n: number }>(
          sql`SELECT i.state::text AS state, count(*)::int AS n FROM incidents i WHERE ${conditions(actor, f, false)} GROUP BY 1`,
        )
  const more = rows.length > limit
  const shown = rows.slice(0, limit)
  const last = shown[shown.length - 1]
  const counts: Record<string, number> = { new: 0, open: 0, assigned: 0, closed: 0, ignored: 0 }
  for (const c of counted) counts[c.state] = c.n
  return {
    items: shown.map(
      (r): IncidentSummary => ({
        id: Number(r.id),
        state: String(r.state),
        type: String(r.type),
        severity: String(r.severity),
        score: Number(r.score),
        summary: String(r.summary),
        isPrivate: Boolean(r.is_private),
        teamId: r.team_id === null ? null : Number(r.team_id),
        team: (r.team as string) ?? null,
        assigneeId: r.assignee_id === null ? null : Number(r.assignee_id),
        assignee: (r.assignee as string) ?? null,
        source: (r.source as string) ?? null,
        abuseDisposition: (r.abuse_disposition as string) ?? null,
        classification: (r.classification as string) ?? null,
        alertCount: Number(r.alert_count),
        createdAt: String(r.created_at),
        updatedAt: String(r.updated_at),
        closedAt: (r.closed_at as string) ?? null,
      }),
    ),
    nextCursor: more && last ? encodeSortCursor(sort, String(last.cursor_at), Number(last.id)) : undefined,
    counts,
  }
}
