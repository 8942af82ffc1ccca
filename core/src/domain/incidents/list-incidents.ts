import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { isPgTimestamp } from '../../storable.ts'
import { isoZ } from './compat-sql.ts'
import { countIncidentsByState, emptyCounts } from './count-incidents.ts'
import { fieldValue, type IncidentFilter, incidentConditions } from './incident-conditions.ts'
import { encodeCursor } from './list-compat-incidents.ts'

export type { IncidentFilter } from './incident-conditions.ts'

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
    WHERE ${incidentConditions(actor, f, true)}${keyset}
    ORDER BY ${s.expr} ${dir}, i.id ${dir} LIMIT ${limit + 1}`)
  const more = rows.length > limit
  const shown = rows.slice(0, limit)
  const last = shown[shown.length - 1]
  const counts = f.withCounts === false ? emptyCounts() : await countIncidentsByState(db, actor, f)
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
