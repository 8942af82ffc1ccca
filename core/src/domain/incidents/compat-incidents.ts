import { type SQL, sql } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import type postgres from 'postgres'
import type { Db } from '../../db/client.ts'
import { isoZ } from './compat-sql.ts'

// The compatible incident object (API-COMPAT.md "Shapes") for a set of incidents: one query for the
// incidents, then one set-based query per child table over all their ids, pipelined on one
// connection in one snapshot. PostgreSQL selects, formats timestamps and orders (collation-
// dependent orders stay there); the JSON text is written here from the plain rows. Building it in
// SQL (lateral subqueries, json_agg, json_build_object) cost ~0.3 ms an incident.

/**
 * Which incidents: `where` over alias `i`; `newest` takes the last `limit` of the (created_at, id)
 * order; `show` presents only the first N selected (a pager selects one more to know there is a
 * next page). `onIncidents` is told the selected ids and cursors as soon as they are known, before
 * the rest of the objects is read (a stream starts its next page with it).
 */
export type CompatSelection = {
  where: SQL
  limit?: number
  newest?: boolean
  show?: number
  onIncidents?: (incs: { id: string; at: string }[]) => void
}
/** A selected incident: `at` is `created_at::text` (keyset cursors). */
export type CompatIncident = { id: string; at: string; isPrivate: boolean; teamId: string | null }
/** The presented incidents and their JSON objects in the same order, comma-separated (no brackets). */
export type CompatPage = { incidents: CompatIncident[]; json: string; hasMore: boolean }

type Row = Record<string, unknown>
type IncidentRow = { id: string; at: string; is_private: boolean; team_id: string | null } & Record<string, unknown>

const dialect = new PgDialect()
/**
 * Runs a drizzle `sql`. The child queries are named prepared statements (fixed text, the ids are a
 * parameter: planned once per connection); the incidents query, whose filter varies, is planned for
 * its actual values every time (a generic plan could not see how wide the window is).
 */
const exec = <T>(c: Pick<postgres.Sql, 'unsafe'>, q: SQL, prepare: boolean) => {
  const { sql: text, params } = dialect.sqlToQuery(q)
  return c.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare }) as unknown as Promise<T[]>
}

// A page's JSON is written into one array of parts joined once: JSON.stringify per value and
// string concatenation made this GC-bound. Most values need no escaping.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON must escape
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/
/** Appends `v` (string, or null/undefined as null) as a JSON string. */
const s = (out: string[], v: unknown) => {
  if (v === null || v === undefined) out.push('null')
  else if (typeof v === 'string' && !NEEDS_ESCAPE.test(v)) out.push('"', v, '"')
  else out.push(JSON.stringify(v))
}
/** Appends `key` (the literal text before the value, e.g. `,"summary":`) and `v` as a JSON string. */
const field = (out: string[], key: string, v: unknown) => {
  out.push(key)
  s(out, v)
}
/** Appends a JSON array of strings. */
const strings = (out: string[], list: readonly unknown[]) => {
  out.push('[')
  for (let k = 0; k < list.length; k++) {
    if (k > 0) out.push(',')
    s(out, list[k])
  }
  out.push(']')
}

/** Groups rows by `incident_id`, keeping the query's order inside each group. */
const byIncident = (rows: Row[]) => {
  const m = new Map<unknown, Row[]>()
  for (const r of rows) {
    const list = m.get(r.incident_id)
    if (list) list.push(r)
    else m.set(r.incident_id, [r])
  }
  return m
}

const incidentsQuery = (sel: CompatSelection) => {
  const dir = sel.newest ? sql`DESC` : sql`ASC`
  const limit = sel.limit === undefined ? sql`` : sql` LIMIT ${sel.limit}`
  return sql`SELECT i.id, i.created_at::text AS at, i.is_private, i.team_id, i.type, i.severity, i.summary, i.description,
      i.score, initcap(i.state::text) AS state, ${isoZ(sql`i.created_at`)} AS created, ${isoZ(sql`i.updated_at`)} AS updated,
      ${isoZ(sql`i.closed_at`)} AS closed, i.close_summary, i.close_detail,
      coalesce(asg.username, 'Unassigned') AS assignee, coalesce(tm.name, 'Unassigned') AS team
    FROM (SELECT * FROM incidents i WHERE ${sel.where} ORDER BY i.created_at ${dir}, i.id ${dir}${limit}) i
    LEFT JOIN users asg ON asg.id = i.assignee_id LEFT JOIN teams tm ON tm.id = i.team_id
    ORDER BY i.created_at, i.id`
}

/** Alerts (with their emails when expanded) of the incidents, by incident, alert, email. */
const alertsQuery = (set: SQL, expand: boolean) =>
  expand
    ? sql`SELECT a.incident_id, a.id, a.source_id, a.is_false_positive AS fp, a.classification, initcap(a.severity) AS severity,
        a.attack_direction, ${isoZ(sql`a.received_at`)} AS received,
        coalesce(a.threat_info->>'name', a.threat_info->>'threatname', '') AS threatname,
        CASE WHEN a.description <> '' THEN a.description ELSE a.summary END AS description,
        ARRAY(SELECT coalesce(x->>'ip_address', x->>'host_name', x->>'url', x->>'user', '') FROM jsonb_array_elements(a.attackers) x) AS attackers,
        e.id AS email_id, e.sender, e.recipients, e.subject, coalesce(e.message_id, '') AS message_id,
        ${isoZ(sql`coalesce(e.delivered_at, a.received_at)`)} AS delivered, e.is_abuse_copy, e.headers::text AS headers,
        e.urls, e.attachments::text AS attachments
      FROM alerts a LEFT JOIN alert_emails e ON e.alert_id = a.id
      WHERE a.incident_id = ${set} ORDER BY a.incident_id, a.id, e.id`
    : sql`SELECT a.incident_id, a.id, a.source_id, a.is_false_positive AS fp FROM alerts a
      WHERE a.incident_id = ${set} ORDER BY a.incident_id, a.id`

const childQueries = (set: SQL, expand: boolean): Record<string, SQL> => ({
  alerts: alertsQuery(set, expand),
  // in the database's collation order: event_sources is de-duplicated and sorted by name
  sources: sql`SELECT id, name FROM sources ORDER BY name`,
  hosts: sql`SELECT incident_id, kind, host FROM incident_hosts
    WHERE incident_id = ${set} AND kind IN ('attacker', 'forensics', 'cnc', 'url') ORDER BY incident_id, kind, host`,
  users: sql`SELECT DISTINCT incident_id, username FROM incident_users WHERE incident_id = ${set} ORDER BY incident_id, username`,
  quarantine: sql`SELECT q.incident_id, q.status, coalesce(q.provider, '') AS provider,
      ${isoZ(sql`coalesce(q.started_at, q.created_at)`)} AS start_time, ${isoZ(sql`q.finished_at`)} AS end_time,
      CASE WHEN q.status IN ('successful', 'undone') THEN 'successful'
        WHEN q.status IN ('failed', 'not_found', 'whitelisted') THEN 'failed' ELSE 'pending' END AS shown_status,
      CASE q.recipient_type WHEN 'dl' THEN 'Distribution List' WHEN 'forward' THEN 'Forwarded' WHEN 'search' THEN 'Search' ELSE 'Original Recipient' END AS recipient_type,
      q.mailbox, q.message_id, coalesce(q.is_read, false) AS is_read, q.undone_at IS NOT NULL AS is_undone,
      CASE WHEN q.details <> '' THEN q.details WHEN q.status = 'not_found' THEN 'Message not found'
        WHEN q.status = 'whitelisted' THEN 'Recipient is exempt from quarantine' ELSE '' END AS details
    FROM quarantine_records q WHERE q.incident_id = ${set} ORDER BY q.incident_id, q.id`,
  fields: sql`SELECT id, name, is_builtin FROM incident_fields ORDER BY id`,
  values: sql`SELECT incident_id, field_id, value FROM incident_field_values WHERE incident_id = ${set} AND value IS NOT NULL`,
  comments: sql`SELECT incident_id, actor_label, concat_ws(E'\n', nullif(summary, ''), nullif(detail, '')) AS comment,
      ${isoZ(sql`created_at`)} AS commented_on
    FROM incident_history WHERE incident_id = ${set} AND history_type = 'comment' ORDER BY incident_id, id`,
})

/** Appends `events` (expanded: objects with their emails; else alert ids). */
const events = (out: string[], rows: Row[], expand: boolean, sourceName: Map<unknown, string>) => {
  let n = 0
  let last: unknown
  out.push('[')
  for (const r of rows) {
    if (r.id !== last) {
      if (n > 0) out.push(expand ? ']},' : ',')
      last = r.id
      n++
      if (!expand) {
        out.push(String(r.id))
        continue
      }
      out.push('{"id":', String(r.id), ',"category":')
      s(out, r.classification)
      field(out, ',"alertType":', r.classification)
      field(out, ',"severity":', r.severity)
      field(out, ',"source":', sourceName.get(r.source_id) ?? '')
      field(out, ',"state":"Linked","attackDirection":', r.attack_direction)
      field(out, ',"received":', r.received)
      out.push(',"falsePositive":', String(r.fp), ',"threatname":')
      s(out, r.threatname)
      field(out, ',"description":', r.description)
      out.push(',"attackers":[')
      const attackers = r.attackers as string[]
      for (let k = 0; k < attackers.length; k++) {
        out.push(k > 0 ? ',{"location":' : '{"location":')
        s(out, attackers[k])
        out.push('}')
      }
      out.push('],"emails":[')
    } else if (expand && r.email_id !== null) out.push(',')
    if (!expand || r.email_id === null) continue
    // one email object per recipient, or one with an empty recipient
    const recipients = r.recipients as string[]
    for (let k = 0; k < Math.max(1, recipients.length); k++) {
      out.push(k > 0 ? ',{"sender":{"email":' : '{"sender":{"email":')
      s(out, r.sender)
      field(out, ',"vap":false},"recipient":{"email":', recipients[k] ?? '')
      field(out, ',"vap":false},"subject":', r.subject)
      field(out, ',"messageId":', r.message_id)
      field(out, ',"messageDeliveryTime":', r.delivered)
      out.push(',"abuseCopy":', String(r.is_abuse_copy), ',"headers":', r.headers as string, ',"urls":')
      strings(out, r.urls as string[])
      out.push(',"attachments":', r.attachments as string, '}')
    }
  }
  out.push(n > 0 && expand ? ']}]' : ']')
}

const present = (incs: IncidentRow[], expand: boolean, c: Record<string, Row[]>) => {
  const sourceName = new Map(c.sources!.map((r) => [r.id, r.name as string]))
  const sourceRank = new Map(c.sources!.map((r, k) => [r.id, k]))
  const alerts = byIncident(c.alerts!)
  const hosts = byIncident(c.hosts!)
  const users = byIncident(c.users!)
  const quarantine = byIncident(c.quarantine!)
  const values = byIncident(c.values!)
  const comments = byIncident(c.comments!)
  const none: Row[] = []
  const out: string[] = []
  for (const i of incs) {
    out.push(out.length ? ',{"id":' : '{"id":', i.id, ',"type":')
    s(out, i.type)
    field(out, ',"summary":', i.summary)
    field(out, ',"description":', i.description)
    out.push(',"score":', String(i.score), ',"state":')
    s(out, i.state)
    field(out, ',"created_at":', i.created)
    field(out, ',"updated_at":', i.updated)
    field(out, ',"closed_at":', i.closed)
    field(out, ',"close_summary":', i.close_summary)
    field(out, ',"close_detail":', i.close_detail)
    const al = alerts.get(i.id) ?? none
    let n = 0
    let fp = 0
    for (let k = 0; k < al.length; k++) {
      if (k > 0 && al[k]!.id === al[k - 1]!.id) continue // one row per email
      n++
      if (al[k]!.fp === true) fp++
    }
    out.push(',"event_count":', String(n), ',"false_positive_count":', String(fp), ',"event_sources":')
    const ranks = [...new Set(al.map((a) => sourceRank.get(a.source_id)))].filter((k) => k !== undefined)
    strings(
      out,
      ranks.sort((x, y) => x - y).map((k) => c.sources![k]!.name),
    )
    out.push(',"users":')
    strings(
      out,
      (users.get(i.id) ?? none).map((u) => u.username),
    )
    field(out, ',"assignee":', i.assignee)
    field(out, ',"team":', i.team)
    const ho = hosts.get(i.id) ?? none
    for (const kind of ['attacker', 'forensics', 'cnc', 'url']) {
      out.push(kind === 'attacker' ? ',"hosts":{"attacker":' : `,"${kind}":`)
      strings(
        out,
        ho.filter((h) => h.kind === kind).map((h) => h.host),
      )
    }
    out.push('},"incident_field_values":[')
    const vals = values.get(i.id)
    let first = true
    for (const f of c.fields!) {
      const v = vals?.find((x) => x.field_id === f.id)?.value
      if (!f.is_builtin && v === undefined) continue
      out.push(first ? '{"name":' : ',{"name":')
      first = false
      s(out, f.name)
      out.push(',"value":')
      // Classification and Severity default to the incident's type and severity until a value is set
      s(out, v ?? (f.name === 'Classification' ? i.type : f.name === 'Severity' ? i.severity : null))
      out.push('}')
    }
    out.push('],"events":')
    if (expand) events(out, al, expand, sourceName)
    else out.push('null')
    out.push(',"event_ids":')
    if (expand) out.push('null')
    else events(out, al, expand, sourceName)
    out.push(',"comments":[')
    ;(comments.get(i.id) ?? none).forEach((m, k) => {
      out.push(k > 0 ? ',{"user":' : '{"user":')
      s(out, m.actor_label)
      field(out, ',"comment":', m.comment)
      field(out, ',"commented_on":', m.commented_on)
      out.push('}')
    })
    out.push('],"quarantine_results":[')
    const qr = quarantine.get(i.id) ?? none
    qr.forEach((q, k) => {
      out.push(k > 0 ? ',{"alertSource":' : '{"alertSource":')
      s(out, q.provider)
      field(out, ',"startTime":', q.start_time)
      field(out, ',"endTime":', q.end_time)
      field(out, ',"status":', q.shown_status)
      field(out, ',"recipientType":', q.recipient_type)
      field(out, ',"recipient":', q.mailbox)
      field(out, ',"messageId":', q.message_id)
      out.push(',"isRead":"', String(q.is_read), '","wasUndone":"', String(q.is_undone), '","details":')
      s(out, q.details)
      out.push('}')
    })
    // the counters count the statuses shown above, so they always add up to the results' length
    const count = (status: string) => String(qr.filter((q) => q.shown_status === status).length)
    out.push('],"successful_quarantines":', count('successful'), ',"failed_quarantines":', count('failed'))
    out.push(',"pending_quarantines":', count('pending'), '}')
  }
  return {
    incidents: incs.map((i) => ({ id: i.id, at: i.at, isPrivate: i.is_private, teamId: i.team_id })),
    json: out.join(''),
  }
}

/**
 * The selected incidents in the compatible shape, ordered by (created_at, id), read in one
 * snapshot (a repeatable-read, read-only transaction). Does not check visibility: `where` must
 * (see `visibleAt` in policy/), or the caller checks `isPrivate`/`teamId`.
 */
export const loadCompatIncidents = async (db: Db, selection: CompatSelection, expand: boolean): Promise<CompatPage> => {
  const conn = await db.$client.reserve()
  try {
    // Statements run in the order issued and none waits for the previous answer: BEGIN goes out
    // with the incidents query, COMMIT with the child queries (two round trips a page).
    const begin = conn.unsafe('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY').execute()
    const [, selected] = await Promise.all([begin, exec<IncidentRow>(conn, incidentsQuery(selection), false)])
    selection.onIncidents?.(selected)
    const hasMore = selection.show !== undefined && selected.length > selection.show
    const incs = hasMore ? selected.slice(0, selection.show) : selected
    if (incs.length === 0) {
      await conn.unsafe('COMMIT')
      return { incidents: [], json: '', hasMore }
    }
    const set = sql`ANY(${`{${incs.map((r) => r.id).join(',')}}`}::bigint[])`
    const queries = Object.entries(childQueries(set, expand))
    const results = await Promise.all([
      ...queries.map(([, q]) => exec<Row>(conn, q, true)),
      conn.unsafe('COMMIT').execute(),
    ])
    return {
      ...present(incs, expand, Object.fromEntries(queries.map(([name], k) => [name, results[k] as Row[]]))),
      hasMore,
    }
  } catch (err) {
    await conn.unsafe('ROLLBACK').catch(() => {})
    throw err
  } finally {
    conn.release()
  }
}
