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

const hostsOf = (kind: string) => sql`coalesce((SELECT json_agg(h.host ORDER BY h.host) FROM incident_hosts h WHERE h.incident_id = i.id AND h.kind = ${kind}), '[]'::json)`

/**
 * The compatible incident object (API-COMPAT.md "Shapes") built in SQL for incident alias `i`,
 * so a page of incidents is one query. `expand` chooses `events` (true) or `event_ids` (false).
 */
export const compatIncidentJson = (expand: boolean) => sql`json_build_object(
  'id', i.id, 'type', i.type, 'summary', i.summary, 'description', i.description, 'score', i.score,
  'state', initcap(i.state::text), 'created_at', ${isoZ(sql`i.created_at`)}, 'updated_at', ${isoZ(sql`i.updated_at`)},
  'closed_at', ${isoZ(sql`i.closed_at`)}, 'close_summary', i.close_summary, 'close_detail', i.close_detail,
  'event_count', (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id),
  'false_positive_count', (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id AND a.is_false_positive),
  'event_sources', coalesce((SELECT json_agg(DISTINCT s.name) FROM alerts a JOIN sources s ON s.id = a.source_id WHERE a.incident_id = i.id), '[]'::json),
  'users', coalesce((SELECT json_agg(DISTINCT u.username) FROM incident_users u WHERE u.incident_id = i.id), '[]'::json),
  'assignee', coalesce((SELECT x.username FROM users x WHERE x.id = i.assignee_id), 'Unassigned'),
  'team', coalesce((SELECT t.name FROM teams t WHERE t.id = i.team_id), 'Unassigned'),
  'hosts', json_build_object('attacker', ${hostsOf('attacker')}, 'forensics', ${hostsOf('forensics')}, 'cnc', ${hostsOf('cnc')}, 'url', ${hostsOf('url')}),
  'incident_field_values', coalesce((SELECT json_agg(json_build_object('name', f.name, 'value', v.value) ORDER BY f.id)
     FROM incident_fields f LEFT JOIN incident_field_values v ON v.field_id = f.id AND v.incident_id = i.id
     WHERE f.is_builtin OR v.value IS NOT NULL), '[]'::json),
  'events', ${expand ? sql`coalesce((SELECT json_agg(${eventJson} ORDER BY a.id) FROM alerts a LEFT JOIN sources s ON s.id = a.source_id WHERE a.incident_id = i.id), '[]'::json)` : sql`NULL::json`},
  'event_ids', ${expand ? sql`NULL::json` : sql`coalesce((SELECT json_agg(a.id ORDER BY a.id) FROM alerts a WHERE a.incident_id = i.id), '[]'::json)`},
  'comments', coalesce((SELECT json_agg(json_build_object('user', c.actor_label, 'comment', concat_ws(E'\n', nullif(c.summary, ''), nullif(c.detail, '')), 'commented_on', ${isoZ(sql`c.created_at`)}) ORDER BY c.id)
     FROM incident_history c WHERE c.incident_id = i.id AND c.history_type = 'comment'), '[]'::json),
  'quarantine_results', coalesce((SELECT json_agg(json_build_object(
      'alertSource', coalesce(q.provider, ''), 'startTime', ${isoZ(sql`coalesce(q.started_at, q.created_at)`)}, 'endTime', ${isoZ(sql`q.finished_at`)},
      'status', CASE WHEN q.status IN ('successful','failed','pending') THEN q.status WHEN q.status = 'undone' THEN 'successful' ELSE 'pending' END,
      'recipientType', ${RECIPIENT_TYPES}, 'recipient', q.mailbox, 'messageId', q.message_id,
      'isRead', CASE WHEN q.is_read THEN 'true' ELSE 'false' END, 'wasUndone', CASE WHEN q.undone_at IS NOT NULL THEN 'true' ELSE 'false' END,
      'details', q.details) ORDER BY q.id) FROM quarantine_records q WHERE q.incident_id = i.id), '[]'::json),
  'successful_quarantines', (SELECT count(*) FROM quarantine_records q WHERE q.incident_id = i.id AND q.status = 'successful'),
  'failed_quarantines', (SELECT count(*) FROM quarantine_records q WHERE q.incident_id = i.id AND q.status = 'failed'),
  'pending_quarantines', (SELECT count(*) FROM quarantine_records q WHERE q.incident_id = i.id AND q.status = 'pending'))`

/** SQL twin of `visibleWhere` for raw queries over incident alias `i` (or investigations). */
export const visibleSql = (actor: { kind: string; teamIds: number[] }, alias = sql`i`) =>
  actor.kind === 'system' ? sql`true` : sql`(NOT ${alias}.is_private OR ${alias}.team_id = ANY(${bigintArray(actor.teamIds)}))`
