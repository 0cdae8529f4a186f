-- Lighter delivery receipts (issue 9: the database's share of a callback).
--
-- 1. An event delivered at its first attempt no longer writes a row to
--    callback_attempts (a row and two index entries per receipt): its one
--    attempt is on the event itself (first_attempt_at, last_outcome, and now
--    its HTTP status and duration). Every other attempt is still a row. The
--    attempt log reads both; callback_events_first_tries finds the first
--    kind newest first.
-- 2. The per-service index keeps only events that are waiting or failed,
--    which is what its readers look for (a callback's backlog, its counts,
--    resending failed events); a delivery takes an event out of it instead of
--    moving it within it.
ALTER TABLE callback_events ADD COLUMN last_status_code INTEGER;
ALTER TABLE callback_events ADD COLUMN last_duration_ms INTEGER;

UPDATE callback_events SET
    last_status_code = (SELECT a.status_code FROM callback_attempts a WHERE a.event_id = callback_events.id
                        ORDER BY a.id DESC LIMIT 1),
    last_duration_ms = (SELECT a.duration_ms FROM callback_attempts a WHERE a.event_id = callback_events.id
                        ORDER BY a.id DESC LIMIT 1)
WHERE state = 'delivered' AND attempts = 1;
DELETE FROM callback_attempts
WHERE event_id IN (SELECT id FROM callback_events WHERE state = 'delivered' AND attempts = 1);

CREATE INDEX callback_events_first_tries ON callback_events (service_id, callback_type, first_attempt_at)
    WHERE state = 'delivered' AND attempts = 1;

DROP INDEX callback_events_service;
CREATE INDEX callback_events_service ON callback_events (service_id, callback_type, state, created_at)
    WHERE state != 'delivered';
