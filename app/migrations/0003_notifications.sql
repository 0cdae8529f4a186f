-- Sending through the v2 API: per-service limits, notifications and the
-- embedded outbox that stands in for real email and SMS providers.

ALTER TABLE services ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 3000;
ALTER TABLE services ADD COLUMN email_message_limit INTEGER NOT NULL DEFAULT 1000;
ALTER TABLE services ADD COLUMN sms_message_limit INTEGER NOT NULL DEFAULT 1000;
ALTER TABLE services ADD COLUMN letter_message_limit INTEGER NOT NULL DEFAULT 1000;

CREATE TABLE notifications (
    id                 TEXT PRIMARY KEY NOT NULL,
    service_id         TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    api_key_id         TEXT REFERENCES api_keys (id),
    key_type           TEXT NOT NULL CHECK (key_type IN ('normal', 'team', 'test')),
    template_id        TEXT NOT NULL,
    template_version   INTEGER NOT NULL,
    notification_type  TEXT NOT NULL CHECK (notification_type IN ('email', 'sms', 'letter')),
    recipient          TEXT NOT NULL,
    client_reference   TEXT,
    personalisation    TEXT NOT NULL DEFAULT '{}',
    subject            TEXT,
    body               TEXT NOT NULL,
    status             TEXT NOT NULL,
    postage            TEXT,
    created_at         TEXT NOT NULL,
    sent_at            TEXT,
    completed_at       TEXT,
    updated_at         TEXT
);
CREATE INDEX notifications_service_created ON notifications (service_id, created_at);
CREATE INDEX notifications_daily ON notifications (service_id, notification_type, key_type, created_at);
CREATE INDEX notifications_status ON notifications (status) WHERE status IN ('created', 'sending');

-- What the embedded provider "sent": the rendered message, as a recipient
-- would get it.
CREATE TABLE outbox (
    notification_id    TEXT PRIMARY KEY NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    notification_type  TEXT NOT NULL,
    recipient          TEXT NOT NULL,
    subject            TEXT,
    body               TEXT NOT NULL,
    delivered_at       TEXT NOT NULL
) WITHOUT ROWID;
