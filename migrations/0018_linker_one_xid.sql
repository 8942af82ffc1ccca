-- The linker's batch runs under ONE transaction id (issue 16). Until now the claim (row locks
-- FOR UPDATE SKIP LOCKED, under the claim lock) ran in the exception block that releases the claim
-- lock on error: a subtransaction with its own xid; the rows were then deleted by the batch's own
-- xid. A row locked by one xid and deleted by another gets a MultiXact as its xmax, and PostgreSQL
-- never counts a tuple with a MultiXact xmax as surely dead when an index scan meets it: its index
-- entry is never marked dead, so every later claim (which walks the log's primary key from its
-- oldest entry) fetched the heap page of every row linked since the last VACUUM, twice per batch.
-- Seen with pageinspect: the deleted rows' xmax were MultiXacts; EXPLAIN of the claim: ~5,700 heap
-- fetches of dead rows before the first live one, 3.2–3.7 ms per batch of 700.
-- Now the whole body runs inside that block, so its locks and deletions share the block's xid: the
-- deleted rows' index entries are marked dead by the first scan that meets them. The claim lock is
-- still released right after the claim, and by the handler only while it is still held. The
-- handler now also catches query_canceled (a statement timeout or pg_cancel_backend while the
-- claim waits for a key lock), which OTHERS leaves out: a cancelled claim used to keep the session's
-- claim lock, and every other linker then waited for it until that connection closed.
-- Two smaller savings in the same function: the order check (rows of the batch's keys held
-- elsewhere) reads the taken rows' keys again only when the rows taken are not one run of
-- consecutive ids with nothing older in the log; and the sources and alert ids to check come from
-- the pass that drops replayed rows, out of the log's source_id column (alerts and incidents now
-- take their source from it too; the item's copies are the same by construction), not from a
-- separate pass that parsed two fields of every row's item.
-- Measured (the one-xid change alone): test/bench/intake.ts (20 s, 64 connections,
-- pg_stat_statements), two pairs, order swapped: the two claim statements 44.2 and 33.6 -> 13.8
-- and 9.5 µs per alert; link-replay.ts (20,000 alerts, batches of 700), three pairs: 17.5–20.7 ->
-- 8.8–9.2 µs per alert.
-- All three together against 0017's function (intake.ts, two pairs, order swapped): the linker's
-- time outside its main statement 77 and 74 -> 32 and 37 µs per alert; pipeline CPU per alert
-- 0.587 -> 0.479 and 0.560 -> 0.544 ms.
-- Otherwise as migration 0017.
CREATE OR REPLACE FUNCTION intake_link_batch(max_rows integer)
RETURNS TABLE (alert_id bigint, incident_id bigint, is_new boolean, received_at timestamptz)
LANGUAGE plpgsql SET work_mem = '64MB' SET enable_seqscan = off AS $$
DECLARE
  claim_key constant bigint := hashtextextended('clawback:intake-claim', 7);
  -- Looked up once per call, not once per new incident (a catalog lookup each time).
  incident_ids constant regclass := pg_get_serial_sequence('incidents', 'id')::regclass;
  ids bigint[];
  -- Whether this role may skip the per-row foreign-key checks (migration 0017); otherwise they run.
  checks_in_sets constant boolean := has_parameter_privilege('session_replication_role', 'SET');
  role_before text;
  sources_taken bigint[];
  alert_ids bigint[];
  claim_held boolean := false;
BEGIN
  PERFORM pg_advisory_lock(claim_key);
  claim_held := true;
  -- The whole batch runs in this block (one subtransaction, one xid for its locks and deletions:
  -- see above); its handler releases the claim lock if an error comes before the claim ends.
  BEGIN
    SELECT coalesce(array_agg(s.id ORDER BY s.id), '{}') INTO ids
    FROM (SELECT l.id FROM intake_log l ORDER BY l.id LIMIT max_rows FOR UPDATE SKIP LOCKED) s;
    -- Older rows we did not get are held by another batch (in flight, or dying and about to roll
    -- back) or committed since our claim: our rows sharing a link key with one of them wait (they
    -- stay in the log for a later batch), so an alert never overtakes an older one of its key.
    -- Rows taken as one run of consecutive ids with nothing older in the log (the usual case: the
    -- appends before them committed, no other batch in flight) leave no room for such a row, and
    -- the query that reads every taken row's key again is skipped.
    IF cardinality(ids) > 0 AND (ids[cardinality(ids)] - ids[1] + 1 <> cardinality(ids)
        OR EXISTS (SELECT 1 FROM intake_log o WHERE o.id < ids[1])) THEN
      SELECT coalesce(array_agg(l.id ORDER BY l.id), '{}') INTO ids
      FROM intake_log l
      WHERE l.id = ANY (ids)
        AND (l.link_key IS NULL OR l.link_key NOT IN (
          SELECT o.link_key FROM intake_log o LEFT JOIN unnest(ids) c(id) ON c.id = o.id
          WHERE o.id < (SELECT max(x) FROM unnest(ids) x) AND c.id IS NULL AND o.link_key IS NOT NULL));
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(s.k, 7))
    FROM (SELECT DISTINCT l.link_key AS k FROM intake_log l
          WHERE l.id = ANY (ids) AND l.link_key IS NOT NULL ORDER BY 1) s;
    PERFORM pg_advisory_unlock(claim_key);
    claim_held := false;
    IF cardinality(ids) = 0 THEN
      RETURN;
    END IF;

    -- A replayed row (its alert was stored already) is dropped, not linked again. The same pass
    -- collects the sources and the alert ids of the rows kept (checked below).
    WITH gone AS (
      DELETE FROM intake_log l WHERE l.id = ANY (ids) AND EXISTS (SELECT 1 FROM alerts a WHERE a.id = l.alert_id)
      RETURNING l.id),
    kept AS (
      SELECT l.id, l.source_id, l.alert_id FROM intake_log l
      WHERE l.id = ANY (ids) AND l.id NOT IN (SELECT gone.id FROM gone))
    SELECT coalesce(array_agg(k.id ORDER BY k.id), '{}'), coalesce(array_agg(DISTINCT k.source_id), '{}'),
      coalesce(array_agg(k.alert_id), '{}')
      INTO ids, sources_taken, alert_ids FROM kept k;
    IF cardinality(ids) = 0 THEN
      RETURN;
    END IF;

    IF checks_in_sets THEN
      -- The batch's sources, locked as the foreign-key checks of its alerts and incidents would
      -- lock them (KEY SHARE: a source cannot be deleted under alerts being stored), once per source.
      -- Alerts and incidents take their source from the log's column (the item's copies are the
      -- same by construction and no longer read).
      IF (SELECT count(*) FROM (SELECT 1 FROM sources s WHERE s.id = ANY (sources_taken) FOR KEY SHARE) x)
         <> cardinality(sources_taken) THEN
        RAISE EXCEPTION 'intake: a source of this batch no longer exists' USING ERRCODE = 'foreign_key_violation';
      END IF;
      role_before := current_setting('session_replication_role');
      PERFORM set_config('session_replication_role', 'replica', true);
    END IF;

    -- A new statement takes a new snapshot: it sees incidents committed by batches that held these
    -- locks before us, so two batches carrying the same key cannot both open an incident for it.
    RETURN QUERY
    WITH a AS (
      SELECT l.id AS ord, l.item AS e, l.link_key AS link_key, (l.item->>'link_win')::integer AS win,
        l.alert_id, l.source_id, l.raw, l.received_at
      FROM intake_log l WHERE l.id = ANY (ids)),
    keys AS (
      SELECT a.link_key, min(a.win) AS win, min(a.ord) AS first_ord FROM a WHERE a.link_key IS NOT NULL GROUP BY a.link_key),
    found AS (
      -- The most recent open incident per key along the (key, incident_id) primary key; rule keys
      -- only within their window (as intake_store_alerts, migration 0003).
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
      SELECT nextval(incident_ids) AS id, f.first_ord AS ord, f.link_key
      FROM found f WHERE f.incident_id IS NULL
      UNION ALL
      SELECT nextval(incident_ids), a.ord, NULL FROM a WHERE a.link_key IS NULL),
    placed AS (
      SELECT a.ord, a.e, a.alert_id, a.source_id, a.raw, a.received_at, a.link_key,
        coalesce(f.incident_id, nk.id, nl.id) AS incident_id, f.incident_id IS NULL AS is_new
      FROM a
      LEFT JOIN found f ON f.link_key = a.link_key
      LEFT JOIN fresh nk ON nk.link_key = a.link_key
      LEFT JOIN fresh nl ON a.link_key IS NULL AND nl.link_key IS NULL AND nl.ord = a.ord),
    inc AS (
      INSERT INTO incidents (id, state, type, severity, score, summary, description, source_id, created_at, updated_at)
        OVERRIDING SYSTEM VALUE
      SELECT n.id, 'new', p.e->'inc'->>'type', p.e->'inc'->>'severity', (p.e->'inc'->>'score')::integer,
        p.e->'inc'->>'summary', '', p.source_id, p.received_at, p.received_at
      FROM fresh n JOIN a p ON p.ord = n.ord
      RETURNING id),
    lk AS (
      INSERT INTO incident_link_keys (key, incident_id) SELECT n.link_key, n.id FROM fresh n WHERE n.link_key IS NOT NULL),
    hist AS (
      INSERT INTO incident_history (incident_id, history_type, state_to, summary)
      SELECT inc.id, 'created', 'new', 'Incident created by alert intake' FROM inc),
    al AS (
      INSERT INTO alerts (id, source_id, incident_id, received_at, raw, raw_content_type, classification, severity, summary,
        description, attackers, targets, cnc_hosts, forensics_hosts, detector, threat_info, custom_fields, link_attribute,
        link_key)
        OVERRIDING SYSTEM VALUE
      SELECT p.alert_id, p.source_id, p.incident_id, p.received_at, p.raw, r.raw_content_type, r.classification, r.severity,
        r.summary, r.description, r.attackers, r.targets, r.cnc_hosts, r.forensics_hosts, r.detector, r.threat_info,
        r.custom_fields, r.link_attribute, p.link_key
      FROM placed p, jsonb_populate_record(null::alerts, p.e->'alert') r),
    em AS (
      INSERT INTO alert_emails (alert_id, message_id, sender, recipients, subject, delivered_at, headers, urls, attachments, is_abuse_copy,
        original_sha256)
      SELECT p.alert_id, m.message_id, m.sender, m.recipients, m.subject, m.delivered_at, m.headers, m.urls, m.attachments,
        m.is_abuse_copy, m.original_sha256
      FROM placed p, jsonb_populate_recordset(null::alert_emails, p.e->'emails') m),
    ho AS (
      INSERT INTO incident_hosts (incident_id, kind, host)
      SELECT DISTINCT p.incident_id, h.kind, h.host
      FROM placed p, jsonb_to_recordset(p.e->'hosts') h(kind text, host text) WHERE p.is_new),
    ho2 AS (
      INSERT INTO incident_hosts (incident_id, kind, host)
      SELECT DISTINCT p.incident_id, h.kind, h.host
      FROM placed p, jsonb_to_recordset(p.e->'hosts') h(kind text, host text) WHERE NOT p.is_new
      ON CONFLICT DO NOTHING),
    us AS (
      INSERT INTO incident_users (incident_id, kind, username)
      SELECT DISTINCT p.incident_id, u.kind, u.username
      FROM placed p, jsonb_to_recordset(p.e->'users') u(kind text, username text) WHERE p.is_new),
    us2 AS (
      INSERT INTO incident_users (incident_id, kind, username)
      SELECT DISTINCT p.incident_id, u.kind, u.username
      FROM placed p, jsonb_to_recordset(p.e->'users') u(kind text, username text) WHERE NOT p.is_new
      ON CONFLICT DO NOTHING),
    up AS (
      UPDATE incidents SET updated_at = now()
      WHERE id = ANY (ARRAY(SELECT p.incident_id FROM placed p WHERE NOT p.is_new))),
    del AS (
      DELETE FROM intake_log l WHERE l.id = ANY (ids))
    SELECT p.alert_id, p.incident_id, p.is_new, p.received_at FROM placed p ORDER BY p.ord;

    IF checks_in_sets THEN
      PERFORM set_config('session_replication_role', role_before, true);
      -- Every incident the batch wrote under was opened by the statement above or is an open one it
      -- found by key and updated (row-locked until commit); one deleted in between (nothing in
      -- Clawback deletes incidents today) would have been skipped by that UPDATE: refuse the batch,
      -- as the foreign-key check would have, and the next pass finds or opens another.
      IF EXISTS (SELECT 1 FROM alerts a WHERE a.id = ANY (alert_ids)
                 AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = a.incident_id)) THEN
        RAISE EXCEPTION 'intake: an incident of this batch no longer exists' USING ERRCODE = 'foreign_key_violation';
      END IF;
    END IF;
  EXCEPTION WHEN OTHERS OR query_canceled THEN
    IF claim_held THEN
      PERFORM pg_advisory_unlock(claim_key);
    END IF;
    RAISE;
  END;
END;
$$;

