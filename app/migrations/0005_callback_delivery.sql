-- Callback delivery (issue 9): an outbox of events written in the same
-- transaction as the change that causes them, every attempt to deliver one,
-- and per callback its signing secrets and its pause state.

-- `whsec_…`, sealed like the bearer token; the previous one keeps signing
-- (a second signature) until `previous_signing_secret_until`.
ALTER TABLE service_callbacks ADD COLUMN signing_secret_ciphertext TEXT;
ALTER TABLE service_callbacks ADD COLUMN previous_signing_secret_ciphertext TEXT;
ALTER TABLE service_callbacks ADD COLUMN previous_signing_secret_until TEXT;
-- When the first of an unbroken run of failed attempts happened (NULL after
-- a success), and when the dispatcher gave up sending because that run
-- lasted 24 hours.
ALTER TABLE service_callbacks ADD COLUMN failing_since TEXT;
ALTER TABLE service_callbacks ADD COLUMN paused_at TEXT;
ALTER TABLE service_callbacks ADD COLUMN pause_reason TEXT;

CREATE TABLE callback_events (
    -- `webhook-id`: one per event, the same on every retry of it.
    id                TEXT PRIMARY KEY NOT NULL,
    service_id        TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    callback_type     TEXT NOT NULL CHECK (callback_type IN ('delivery_status', 'inbound_sms', 'returned_letter')),
    -- The notification it is about (delivery receipts, returned letters).
    notification_id   TEXT,
    -- The JSON body, fixed when the event happened: every retry sends the
    -- same bytes.
    payload           TEXT NOT NULL,
    is_test           INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    first_attempt_at  TEXT,
    -- When the next try is due (while its callback is paused, 9999-12-31:
    -- parked until it is resumed).
    next_attempt_at   TEXT NOT NULL,
    last_outcome      TEXT,
    completed_at      TEXT
);
CREATE INDEX callback_events_due ON callback_events (next_attempt_at) WHERE state = 'pending';
CREATE INDEX callback_events_service ON callback_events (service_id, callback_type, state, created_at);
CREATE INDEX callback_events_notification ON callback_events (notification_id) WHERE notification_id IS NOT NULL;

CREATE TABLE callback_attempts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT NOT NULL REFERENCES callback_events (id) ON DELETE CASCADE,
    service_id     TEXT NOT NULL,
    callback_type  TEXT NOT NULL,
    at             TEXT NOT NULL,
    -- The HTTP status, when the receiver answered.
    status_code    INTEGER,
    -- What happened, in words: `HTTP 200`, `Timed out after 5 seconds`…
    outcome        TEXT NOT NULL,
    duration_ms    INTEGER NOT NULL,
    -- When it will be tried again; NULL when this attempt was the last.
    next_attempt_at TEXT
);
CREATE INDEX callback_attempts_service ON callback_attempts (service_id, callback_type, id);
CREATE INDEX callback_attempts_event ON callback_attempts (event_id);

-- A delivery receipt for every notification that reaches a final status,
-- whichever code changed it, in the same transaction: the outbox cannot miss
-- one. Only services with a delivery-status callback get events.
CREATE TRIGGER notifications_delivery_receipt
AFTER UPDATE OF status ON notifications
WHEN NEW.status IN ('delivered', 'permanent-failure', 'temporary-failure', 'technical-failure')
     AND OLD.status IS NOT NEW.status
BEGIN
    INSERT INTO callback_events (id, service_id, callback_type, notification_id, payload, created_at, next_attempt_at)
    SELECT 'msg_' || lower(hex(randomblob(16))), NEW.service_id, 'delivery_status', NEW.id,
           json_object(
               'id', NEW.id,
               'reference', NEW.client_reference,
               'to', NEW.recipient,
               'status', NEW.status,
               'created_at', NEW.created_at,
               'completed_at', NEW.completed_at,
               'sent_at', NEW.sent_at,
               'notification_type', NEW.notification_type,
               'template_id', NEW.template_id,
               'template_version', NEW.template_version),
           coalesce(NEW.updated_at, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
           -- A paused callback's events wait, parked, until it is resumed.
           CASE WHEN c.paused_at IS NULL
                THEN coalesce(NEW.updated_at, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
                ELSE '9999-12-31T00:00:00.000000Z' END
    FROM service_callbacks c
    WHERE c.service_id = NEW.service_id AND c.callback_type = 'delivery_status';
END;
