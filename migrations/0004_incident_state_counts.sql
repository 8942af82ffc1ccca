-- Maintained incident counts per state and visibility scope, for the incident list's state tabs
-- (issue 13, item 18: counting 1M incidents per poll took ~650 ms). Writers only ever INSERT delta
-- rows (statement-level triggers over transition tables: one row per scope and state a statement
-- changed), so concurrent intake batches never wait on a shared counter row; readers sum the rows of
-- the scopes they may see; incident_state_counts_compact() folds the deltas (the reader when many
-- have piled up, and the incidents.compact-counts job every five minutes).
-- scope: 0 = not private (everyone); a team id = that team's private incidents; -1 = private without a team.
CREATE TABLE "incident_state_counts" (
	"scope" bigint NOT NULL,
	"state" "incident_state" NOT NULL,
	"n" bigint NOT NULL
);
--> statement-breakpoint
CREATE FUNCTION incident_count_scope(is_private boolean, team_id bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE WHEN NOT is_private THEN 0 ELSE coalesce(team_id, -1) END $$;
--> statement-breakpoint
CREATE FUNCTION incident_state_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO incident_state_counts (scope, state, n)
    SELECT incident_count_scope(is_private, team_id), state, count(*) FROM new_rows GROUP BY 1, 2;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION incident_state_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO incident_state_counts (scope, state, n)
    SELECT incident_count_scope(is_private, team_id), state, -count(*) FROM old_rows GROUP BY 1, 2;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION incident_state_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- most updates change neither state nor scope: their +1 and -1 cancel and nothing is written
  INSERT INTO incident_state_counts (scope, state, n)
    SELECT scope, state, sum(d) FROM (
      SELECT incident_count_scope(is_private, team_id) AS scope, state, 1 AS d FROM new_rows
      UNION ALL
      SELECT incident_count_scope(is_private, team_id), state, -1 FROM old_rows) x
    GROUP BY 1, 2 HAVING sum(d) <> 0;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION incident_state_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM incident_state_counts;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER incidents_counts_insert AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION incident_state_counts_insert();
--> statement-breakpoint
CREATE TRIGGER incidents_counts_delete AFTER DELETE ON incidents REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION incident_state_counts_delete();
--> statement-breakpoint
CREATE TRIGGER incidents_counts_update AFTER UPDATE ON incidents REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION incident_state_counts_update();
--> statement-breakpoint
CREATE TRIGGER incidents_counts_truncate AFTER TRUNCATE ON incidents
  FOR EACH STATEMENT EXECUTE FUNCTION incident_state_counts_truncate();
--> statement-breakpoint
-- Folds the deltas into one row per scope and state. Safe beside writers (they only insert; rows
-- they have not committed yet are left for the next fold) and beside another fold (which skips).
CREATE FUNCTION incident_state_counts_compact() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE folded integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended('incident_state_counts', 7)) THEN
    RETURN 0;
  END IF;
  WITH gone AS (DELETE FROM incident_state_counts RETURNING scope, state, n),
    kept AS (INSERT INTO incident_state_counts (scope, state, n)
      SELECT scope, state, sum(n) FROM gone GROUP BY 1, 2 HAVING sum(n) <> 0)
  SELECT count(*) INTO folded FROM gone;
  RETURN folded;
END $$;
--> statement-breakpoint
INSERT INTO incident_state_counts (scope, state, n)
  SELECT incident_count_scope(is_private, team_id), state, count(*) FROM incidents GROUP BY 1, 2;
