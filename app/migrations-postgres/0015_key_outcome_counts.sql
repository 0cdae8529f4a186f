-- Each key's delivered and failed messages per hour, counted when a message
-- first reaches a final status: the same trigger as SQLite's
-- `notifications_key_outcome` (its migration 0011), where 0001 here said the
-- counting would move into Rust. It stays in the database on both: every
-- status update counts without reading its rows back (the test keys'
-- delivery and the sends' group commit skip `RETURNING` when no callback
-- needs the rows, which a count in Rust would need on every update), and
-- a count cannot be forgotten by a new status update.
CREATE FUNCTION notifications_key_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO key_usage (key_id, hour, metric, n)
    VALUES (NEW.api_key_id,
            date_trunc('hour', NEW.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
            NEW.notification_type || CASE NEW.status WHEN 'delivered' THEN ':delivered' ELSE ':failed' END,
            1)
    ON CONFLICT (key_id, hour, metric) DO UPDATE SET n = key_usage.n + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_key_outcome
AFTER UPDATE OF status ON notifications
FOR EACH ROW
WHEN (NEW.api_key_id IS NOT NULL
      AND NEW.status IN ('delivered', 'permanent-failure', 'temporary-failure', 'technical-failure')
      AND OLD.status NOT IN ('delivered', 'permanent-failure', 'temporary-failure', 'technical-failure'))
EXECUTE FUNCTION notifications_key_outcome();
