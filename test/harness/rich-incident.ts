import { sql } from 'drizzle-orm'
import type { Db } from '../../core/src/db/client.ts'

const awkward = 'quote " backslash \\ newline \n tab \t ctrl \u0001 emoji \u{1F600} accent é'

/**
 * One incident exercising every part of the compatible shape: two alerts from two sources (one a
 * false positive), emails with two and with no recipients, attackers of every kind, hosts of every
 * listed kind (and one that is not listed), duplicate user names, quarantine records of every
 * status and recipient type, a custom field, an overridden built-in field, comments, an assignee
 * and a team, and text that needs JSON escaping. Returns the incident id.
 */
export const makeRichIncident = async (db: Db, opts: { teamId: number; assigneeId: number }) => {
  const x = <T>(q: ReturnType<typeof sql>) => db.execute(q) as unknown as Promise<T[]>
  const [s1] = await x<{ id: string }>(sql`INSERT INTO sources (name, type) VALUES ('zeta-src', 'json') RETURNING id`)
  const [s2] = await x<{ id: string }>(sql`INSERT INTO sources (name, type) VALUES ('Alpha-src', 'json') RETURNING id`)
  const [inc] = await x<{ id: string }>(sql`INSERT INTO incidents
      (state, type, severity, score, summary, description, team_id, assignee_id, created_at, updated_at, closed_at, close_summary, close_detail)
    VALUES ('closed', 'Malware', 'Critical', 4000, ${awkward}, 'desc', ${opts.teamId}, ${opts.assigneeId},
      '2021-03-30T11:42:24.789Z', '2021-03-30T11:49:48.1Z', '2021-03-30T11:49:48.999Z', 'sum', ${awkward}) RETURNING id`)
  const id = Number(inc!.id)
  const [a1] = await x<{ id: string }>(sql`INSERT INTO alerts
      (source_id, incident_id, received_at, raw, classification, severity, summary, description, attackers, threat_info, is_false_positive, attack_direction)
    VALUES (${s1!.id}, ${id}, '2021-03-30T11:42:24.5Z', '{}', 'malware', 'critical', 'alert summary', '',
      ${JSON.stringify([{ ip_address: '198.51.100.7' }, { url: 'http://evil.example/"x' }, { user: 'mallory' }, {}, { host_name: 'h', port: 1 }])}::jsonb,
      '{"threatname":"Bad.Thing"}', true, 'outbound') RETURNING id`)
  await db.execute(sql`INSERT INTO alerts
      (source_id, incident_id, received_at, raw, classification, severity, summary, description, threat_info)
    VALUES (${s2!.id}, ${id}, '2021-03-30T11:43:00Z', '{}', 'phish', 'minor', 'unused', ${awkward}, '{"name":"N","threatname":"T"}')`)
  await db.execute(sql`INSERT INTO alert_emails (alert_id, message_id, sender, recipients, subject, delivered_at, headers, urls, attachments, is_abuse_copy)
    VALUES (${a1!.id}, '<m1@x>', 'bad@evil.example', ARRAY['b@corp.example', 'a@corp.example'], ${awkward}, NULL,
      '{"X-Mailer": "x", "Received": ["a", "b"], "n": 1.50}', ARRAY['http://u.example/"q', 'http://v.example/'],
      '[{"name":"inv.pdf","size":1000,"contentType":"application/pdf","md5":"m","sha256":"s"}]', true),
      (${a1!.id}, NULL, '', '{}', '', '2021-03-30T11:40:00Z', '{}', '{}', '[]', false)`)
  await db.execute(sql`INSERT INTO incident_hosts (incident_id, kind, host) VALUES
    (${id}, 'attacker', 'b.example'), (${id}, 'attacker', 'A.example'), (${id}, 'attacker', '198.51.100.7'),
    (${id}, 'forensics', 'f.example'), (${id}, 'cnc', 'c.example'), (${id}, 'url', 'http://u.example/'), (${id}, 'other', 'hidden')`)
  await db.execute(sql`INSERT INTO incident_users (incident_id, kind, username) VALUES
    (${id}, 'targets', 'jdoe'), (${id}, 'attackers', 'jdoe'), (${id}, 'targets', 'Alice'), (${id}, 'targets', 'bob')`)
  await db.execute(sql`INSERT INTO quarantine_records
      (incident_id, alert_id, mailbox, message_id, provider, is_read, recipient_type, status, details, started_at, finished_at, undone_at, created_at)
    VALUES
      (${id}, ${a1!.id}, 'a@corp.example', '<m1@x>', 'msgraph', true, 'original', 'successful', 'moved', '2021-03-30T11:45:00Z', '2021-03-30T11:45:01.5Z', NULL, '2021-03-30T11:44:00Z'),
      (${id}, NULL, 'dl@corp.example', '<m1@x>', NULL, NULL, 'dl', 'failed', ${awkward}, NULL, NULL, NULL, '2021-03-30T11:44:30Z'),
      (${id}, NULL, 'f@corp.example', '<m1@x>', 'gmail', false, 'forward', 'pending', '', NULL, NULL, NULL, '2021-03-30T11:44:40Z'),
      (${id}, NULL, 's@corp.example', '<m1@x>', 'ews', false, 'search', 'undone', '', '2021-03-30T11:46:00Z', '2021-03-30T11:47:00Z', '2021-03-30T11:48:00Z', '2021-03-30T11:44:50Z'),
      (${id}, NULL, 'w@corp.example', '<m1@x>', 'imap', false, 'original', 'quarantining', '', NULL, NULL, NULL, '2021-03-30T11:44:55Z'),
      (${id}, NULL, 'n@corp.example', '<m1@x>', 'imap', NULL, 'original', 'not_found', '', '2021-03-30T11:45:10Z', '2021-03-30T11:45:11Z', NULL, '2021-03-30T11:44:56Z'),
      (${id}, NULL, 'n2@corp.example', '<m1@x>', 'msgraph', NULL, 'dl', 'not_found', 'no copy of the message in this mailbox', '2021-03-30T11:45:12Z', '2021-03-30T11:45:13Z', NULL, '2021-03-30T11:44:57Z'),
      (${id}, NULL, 'x@corp.example', '<m1@x>', NULL, NULL, 'dl', 'whitelisted', '', NULL, NULL, NULL, '2021-03-30T11:44:58Z'),
      (${id}, NULL, 'r@corp.example', '<m1@x>', 'ews', true, 'forward', 'restoring', '', '2021-03-30T11:45:20Z', '2021-03-30T11:45:21Z', NULL, '2021-03-30T11:44:59Z')`)
  await db.execute(
    sql`INSERT INTO incident_fields (name) VALUES ('Custom Note'), ('Unset Custom') ON CONFLICT DO NOTHING`,
  )
  await db.execute(sql`INSERT INTO incident_field_values (incident_id, field_id, value)
    SELECT ${id}, f.id, v.value FROM (VALUES ('Severity', 'Low'), ('Custom Note', ${awkward}), ('Abuse Disposition', NULL)) v(name, value)
    JOIN incident_fields f ON f.name = v.name`)
  await db.execute(sql`INSERT INTO incident_history (incident_id, actor_label, history_type, summary, detail, created_at) VALUES
    (${id}, 'jdoe', 'comment', 'first', 'detail', '2021-03-30T11:50:00.9Z'),
    (${id}, 'system', 'state', 'closed', '', '2021-03-30T11:50:01Z'),
    (${id}, 'alice', 'comment', '', ${awkward}, '2021-03-30T11:51:00Z'),
    (${id}, 'bob', 'comment', '', '', '2021-03-30T11:52:00Z')`)
  return id
}
