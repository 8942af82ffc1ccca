-- Intake stores a batch of alerts in one call (group commit, DESIGN.md "The flow of an alert").
-- One statement instead of five: they ran as separate queries from Node.js, each waiting for the
-- previous answer (and for a busy event loop) while holding the batch's link-key locks.
--
-- `batch` is a JSON array, one element per alert, in submission order:
--   { "alert_id": the alert's id, taken from the alerts sequence beforehand (so the batch's
--     `alert.match` job can be sent in the same round trip), "link_key": text|null, "link_win": seconds|null (rule keys: how old the incident may be),
--     "inc": {type, severity, score, summary, source_id}   (used when the alert opens an incident),
--     "alert": {source_id, raw, raw_content_type, classification, ... the alerts columns},
--     "emails": [alert_emails columns], "hosts": [{kind, host}], "users": [{kind, username}] }
-- Returns one row per element: its position (0-based), alert id, incident id, and whether the
-- incident was created by this batch.
CREATE OR REPLACE FUNCTION intake_store_alerts(batch jsonb)
RETURNS TABLE (ord integer, alert_id bigint, incident_id bigint, is_new boolean)
LANGUAGE plpgsql AS $$
BEGIN
  -- Serialise on the batch's link keys, in sorted order so concurrent batches cannot deadlock.
  PERFORM pg_advisory_xact_lock(hashtextextended(s.k, 7))
  FROM (SELECT DISTINCT e->>'link_key' AS k FROM jsonb_array_elements(batch) e
        WHERE e->>'link_key' IS NOT NULL ORDER BY 1) s;

  -- A new statement takes a new snapshot: it sees incidents committed by batches that held these
  -- locks before us, so two batches carrying the same key cannot both open an incident for it.
  RETURN QUERY
  WITH a AS (
    SELECT (t.o - 1)::integer AS ord, t.e, t.e->>'link_key' AS link_key, (t.e->>'link_win')::integer AS win
    FROM jsonb_array_elements(batch) WITH ORDINALITY AS t(e, o)),
  keys AS (
    SELECT a.link_key, min(a.win) AS win, min(a.ord) AS first_ord FROM a WHERE a.link_key IS NOT NULL GROUP BY a.link_key),
  found AS (
    -- The most recent open incident per key, newest first along the (key, incident_id) primary key;
    -- rule keys only within their window. Written so that the plan does not depend on table
    -- statistics (a freshly filled table must not be scanned whole per batch).
    SELECT k.link_key, k.first_ord,
      (SELECT l.incident_id FROM incident_link_keys l
       WHERE l.key = k.link_key
         AND (SELECT i.state IN ('new', 'open', 'assigned')
                AND (k.win IS NULL OR i.created_at > now() - make_interval(secs => k.win))
              FROM incidents i WHERE i.id = l.incident_id)
       ORDER BY l.key DESC, l.incident_id DESC LIMIT 1) AS incident_id
    FROM keys k),
  fresh AS (
    -- One new incident per unmatched key and one per alert without a key, opened by its first alert.
    SELECT nextval(pg_get_serial_sequence('incidents', 'id')) AS id, f.first_ord AS ord, f.link_key
    FROM found f WHERE f.incident_id IS NULL
    UNION ALL
    SELECT nextval(pg_get_serial_sequence('incidents', 'id')), a.ord, NULL FROM a WHERE a.link_key IS NULL),
  placed AS (
    SELECT a.ord, a.e, (a.e->>'alert_id')::bigint AS alert_id,
      coalesce(f.incident_id, nk.id, nl.id) AS incident_id, f.incident_id IS NULL AS is_new
    FROM a
    LEFT JOIN found f ON f.link_key = a.link_key
    LEFT JOIN fresh nk ON nk.link_key = a.link_key
    LEFT JOIN fresh nl ON a.link_key IS NULL AND nl.link_key IS NULL AND nl.ord = a.ord),
  inc AS (
    INSERT INTO incidents (id, state, type, severity, score, summary, description, source_id) OVERRIDING SYSTEM VALUE
    SELECT n.id, 'new', p.e->'inc'->>'type', p.e->'inc'->>'severity', (p.e->'inc'->>'score')::integer,
      p.e->'inc'->>'summary', '', (p.e->'inc'->>'source_id')::bigint
    FROM fresh n JOIN a p ON p.ord = n.ord
    RETURNING id),
  lk AS (
    INSERT INTO incident_link_keys (key, incident_id) SELECT n.link_key, n.id FROM fresh n WHERE n.link_key IS NOT NULL),
  hist AS (
    INSERT INTO incident_history (incident_id, history_type, state_to, summary)
    SELECT inc.id, 'created', 'new', 'Incident created by alert intake' FROM inc),
  al AS (
    INSERT INTO alerts (id, source_id, incident_id, raw, raw_content_type, classification, severity, summary, description,
      attackers, targets, cnc_hosts, forensics_hosts, detector, threat_info, custom_fields, link_attribute, link_key)
      OVERRIDING SYSTEM VALUE
    SELECT p.alert_id, r.source_id, p.incident_id, r.raw, r.raw_content_type, r.classification, r.severity, r.summary,
      r.description, r.attackers, r.targets, r.cnc_hosts, r.forensics_hosts, r.detector, r.threat_info, r.custom_fields,
      r.link_attribute, p.e->>'link_key'
    FROM placed p, jsonb_populate_record(null::alerts, p.e->'alert') r),
  em AS (
    INSERT INTO alert_emails (alert_id, message_id, sender, recipients, subject, delivered_at, headers, urls, attachments, is_abuse_copy)
    SELECT p.alert_id, m.message_id, m.sender, m.recipients, m.subject, m.delivered_at, m.headers, m.urls, m.attachments,
      m.is_abuse_copy
    FROM placed p, jsonb_populate_recordset(null::alert_emails, p.e->'emails') m),
  ho AS (
    INSERT INTO incident_hosts (incident_id, kind, host)
    SELECT DISTINCT p.incident_id, h.kind, h.host
    FROM placed p, jsonb_to_recordset(p.e->'hosts') h(kind text, host text)
    ON CONFLICT DO NOTHING),
  us AS (
    INSERT INTO incident_users (incident_id, kind, username)
    SELECT DISTINCT p.incident_id, u.kind, u.username
    FROM placed p, jsonb_to_recordset(p.e->'users') u(kind text, username text)
    ON CONFLICT DO NOTHING),
  up AS (
    UPDATE incidents SET updated_at = now()
    WHERE id = ANY (ARRAY(SELECT p.incident_id FROM placed p WHERE NOT p.is_new)))
  SELECT p.ord, p.alert_id, p.incident_id, p.is_new FROM placed p ORDER BY p.ord;
END;
$$;
