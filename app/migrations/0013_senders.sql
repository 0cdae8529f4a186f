-- A service's senders (issue 11): reply-to email addresses, text message
-- sender IDs and letter contact blocks, each kind a list with (at most) one
-- default, chosen per message by id (`email_reply_to_id`, `sms_sender_id`). Deleting archives, as Notify
-- does: messages sent with a sender keep it.
CREATE TABLE service_senders (
    id          TEXT PRIMARY KEY NOT NULL,
    service_id  TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('email_reply_to', 'sms_sender', 'letter_contact')),
    value       TEXT NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0,
    archived    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT
);
CREATE INDEX service_senders_service ON service_senders (service_id, kind, created_at);
-- At most one default of each kind per service.
CREATE UNIQUE INDEX service_senders_one_default ON service_senders (service_id, kind)
    WHERE is_default = 1 AND archived = 0;

-- Every service sends texts as GOVUK until it chooses its own, as in Notify.
INSERT INTO service_senders (id, service_id, kind, value, is_default, created_at)
SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2)
       || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2) || '-'
       || lower(hex(randomblob(6))),
       id, 'sms_sender', 'GOVUK', 1, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')
FROM services;

-- What a message was sent with: an email's reply-to address or a text
-- message's sender (Notify's `reply_to_text`).
ALTER TABLE notifications ADD COLUMN reply_to TEXT;
