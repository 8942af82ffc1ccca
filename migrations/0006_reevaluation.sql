-- Re-evaluation of match conditions when an incident changes (issue 14): whatever changed it
-- (analyst, API, compatible API, a response, a later analysis), a trigger records the incident as
-- pending and notifies the workers, which evaluate it again in sets (`incident.reevaluate`).
CREATE TABLE incident_reevaluations (
  incident_id bigint PRIMARY KEY REFERENCES incidents(id) ON DELETE CASCADE,
  requested_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE FUNCTION request_incident_reevaluation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  target bigint;
BEGIN
  -- A restore loads rows that were already evaluated (and loads this table itself).
  IF current_setting('clawback.restoring', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'incidents' THEN
    target := NEW.id;
  ELSIF TG_OP = 'DELETE' THEN
    target := OLD.incident_id;
  ELSE
    target := NEW.incident_id;
  END IF;
  -- EXISTS: a cascaded delete of an incident removes its field values after the incident.
  INSERT INTO incident_reevaluations (incident_id)
    SELECT target WHERE EXISTS (SELECT 1 FROM incidents WHERE id = target)
    ON CONFLICT DO NOTHING;
  PERFORM pg_notify('clawback_reevaluate', '');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER incident_field_values_reevaluate
  AFTER INSERT OR UPDATE OR DELETE ON incident_field_values
  FOR EACH ROW EXECUTE FUNCTION request_incident_reevaluation();
--> statement-breakpoint
CREATE TRIGGER incidents_reevaluate
  AFTER UPDATE OF state, score, severity ON incidents
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.score IS DISTINCT FROM NEW.score OR OLD.severity IS DISTINCT FROM NEW.severity)
  EXECUTE FUNCTION request_incident_reevaluation();
