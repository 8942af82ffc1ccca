import { type SQL, sql } from 'drizzle-orm'
import { bigintArray } from '../../db/sql-arrays.ts'

/** `YYYY-MM-DDTHH:MM:SSZ` in UTC, whole seconds (API-COMPAT.md: clients parse it with a fixed format). */
export const isoZ = (col: SQL) => sql`to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`

const RECIPIENT_TYPES = sql`CASE q.recipient_type WHEN 'dl' THEN 'Distribution List' WHEN 'forward' THEN 'Forwarded' WHEN 'search' THEN 'Search' ELSE 'Original Recipient' END`

/** One event (alert `a`, source `s`) in the compatible shape, with its emails (one per recipient). */
const eventJson = sql`json_build_object(
  'id', a.id, 'category', a.classification, 'alertType', a.classification, 'severity', initcap(a.severity),
  'source', coalesce(s.name, ''), 'state', 'Linked', 'attackDirection', a.attack_direction,
  'received', ${isoZ(sql`a.received_at`)}, 'falsePositive', a.is_false_positive,
  'threatname', coalesce(a.threat_info->>'name', a.threat_info->>'threatname', ''), 'description', CASE WHEN a.description <> '' THEN a.description ELSE a.summary END,
  'attackers', coalesce((SELECT json_agg(json_build_object('location', coalesce(x->>'ip_address', x->>'host_name', x->>'url', x->>'user', ''))) FROM jsonb_array_elements(a.attackers) x), '[]'::json),
  'emails', coalesce((SELECT json_agg(json_build_object(
      'sender', json_build_object('email', e.sender, 'vap', false),
      'recipient', json_build_object('email', coalesce(r.rcpt, ''), 'vap', false),
      'subject', e.subject, 'messageId', coalesce(e.message_id, ''),
      'messageDeliveryTime', ${isoZ(sql`coalesce(e.delivered_at, a.received_at)`)},
      'abuseCopy', e.is_abuse_copy, 'headers', e.headers, 'urls', to_json(e.urls), 'attachments', e.attachments) ORDER BY e.id)
    FROM alert_emails e LEFT JOIN LATERAL unnest(CASE WHEN cardinality(e.recipients) = 0 THEN ARRAY[NULL::text] ELSE e.recipients END) AS r(rcpt) ON true
    WHERE e.alert_id = a.id), '[]'::json))`

/** Classification and Severity default to the incident's type and severity until a value is set. */
export const builtinDefault = sql`CASE f.name WHEN 'Classification' THEN i.type WHEN 'Severity' THEN i.severity END`

/**
 * Lateral joins feeding `compatIncidentJson`: one pass each over the incident's alerts, hosts,
 * quarantine records, field values, comments and users (a few index scans per incident, so a page
 * of incidents is one fast query). Append after `FROM incidents i`.
 */
export const compatJoins = (expand: boolean) => sql`
  LEFT JOIN users asg ON asg.id = i.assignee_id
  LEFT JOIN teams tm ON tm.id = i.team_id
  LEFT JOIN LATERAL (
    SELECT count(*) AS n, count(*) FILTER (WHERE a.is_false_positive) AS fp,
      coalesce(json_agg(DISTINCT s.name) FILTER (WHERE s.name IS NOT NULL), '[]'::json) AS sources,
      ${expand ? sql`coalesce(json_agg(${eventJson} ORDER BY a.id), '[]'::json)` : sql`coalesce(json_agg(a.id ORDER BY a.id), '[]'::json)`} AS list
    FROM alerts a LEFT JOIN sources s ON s.id = a.source_id WHERE a.incident_id = i.id) ev ON true
  LEFT JOIN LATERAL (
    SELECT coalesce(json_agg(h.host ORDER BY h.host) FILTER (WHERE h.kind = 'attacker'), '[]'::json) AS attacker,
      coalesce(json_agg(h.host ORDER BY h.host) FILTER (WHERE h.kind = 'forensics'), '[]'::json) AS forensics,
      coalesce(json_agg(h.host ORDER BY h.host) FILTER (WHERE h.kind = 'cnc'), '[]'::json) AS cnc,
      coalesce(json_agg(h.host ORDER BY h.host) FILTER (WHERE h.kind = 'url'), '[]'::json) AS url
    FROM incident_hosts h WHERE h.incident_id = i.id) ho ON true
  LEFT JOIN LATERAL (
    SELECT coalesce(json_agg(json_build_object(
      'alertSource', coalesce(q.provider, ''), 'startTime', ${isoZ(sql`coalesce(q.started_at, q.created_at)`)}, 'endTime', ${isoZ(sql`q.finished_at`)},
      'status', CASE WHEN q.status IN ('successful','failed','pending') THEN q.status WHEN q.status = 'undone' THEN 'successful' ELSE 'pending' END,
      'recipientType', ${RECIPIENT_TYPES}, 'recipient', q.mailbox, 'messageId', q.message_id,
      'isRead', CASE WHEN q.is_read THEN 'true' ELSE 'false' END, 'wasUndone', CASE WHEN q.undone_at IS NOT NULL THEN 'true' ELSE 'false' END,
      'details', q.details) ORDER BY q.id), '[]'::json) AS list,
      count(*) FILTER (WHERE q.status = 'successful') AS ok, count(*) FILTER (WHERE q.status = 'failed') AS failed,
      count(*) FILTER (WHERE q.status = 'pending') AS pending
    FROM quarantine_records q WHERE q.incident_id = i.id) qr ON true
  LEFT JOIN LATERAL (
    SELECT coalesce(json_agg(json_build_object('name', f.name, 'value', coalesce(v.value, ${builtinDefault})) ORDER BY f.id), '[]'::json) AS list
    FROM incident_fields f LEFT JOIN incident_field_values v ON v.field_id = f.id AND v.incident_id = i.id
    WHERE f.is_builtin OR v.value IS NOT NULL) fv ON true
  LEFT JOIN LATERAL (
    SELECT coalesce(json_agg(json_build_object('user', c.actor_label, 'comment', concat_ws(E'\n', nullif(c.summary, ''), nullif(c.detail, '')), 'commented_on', ${isoZ(sql`c.created_at`)}) ORDER BY c.id), '[]'::json) AS list
    FROM incident_history c WHERE c.incident_id = i.id AND c.history_type = 'comment') cm ON true
  LEFT JOIN LATERAL (SELECT coalesce(json_agg(DISTINCT u.username), '[]'::json) AS list FROM incident_users u WHERE u.incident_id = i.id) us ON true`

/**
 * The compatible incident object (API-COMPAT.md "Shapes") for incident alias `i`, used with the
 * `compatJoins` of the same `expand`: `events` (true) or `event_ids` (false).
 */
export const compatIncidentJson = (expand: boolean) => sql`json_build_object(
  'id', i.id, 'type', i.type, 'summary', i.summary, 'description', i.description, 'score', i.score,
  'state', initcap(i.state::text), 'created_at', ${isoZ(sql`i.created_at`)}, 'updated_at', ${isoZ(sql`i.updated_at`)},
  'closed_at', ${isoZ(sql`i.closed_at`)}, 'close_summary', i.close_summary, 'close_detail', i.close_detail,
  'event_count', ev.n, 'false_positive_count', ev.fp, 'event_sources', ev.sources, 'users', us.list,
  'assignee', coalesce(asg.username, 'Unassigned'), 'team', coalesce(tm.name, 'Unassigned'),
  'hosts', json_build_object('attacker', ho.attacker, 'forensics', ho.forensics, 'cnc', ho.cnc, 'url', ho.url),
  'incident_field_values', fv.list,
  'events', ${expand ? sql`ev.list` : sql`NULL::json`}, 'event_ids', ${expand ? sql`NULL::json` : sql`ev.list`},
  'comments', cm.list, 'quarantine_results', qr.list,
  'successful_quarantines', qr.ok, 'failed_quarantines', qr.failed, 'pending_quarantines', qr.pending)`

/** SQL twin of `visibleWhere` for raw queries over incident alias `i` (or investigations). */
export const visibleSql = (actor: { kind: string; teamIds: number[] }, alias = sql`i`) =>
  actor.kind === 'system'
    ? sql`true`
    : sql`(NOT ${alias}.is_private OR ${alias}.team_id = ANY(${bigintArray(actor.teamIds)}))`
