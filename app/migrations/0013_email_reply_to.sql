-- Reply-to email addresses (issue 11): a service's list, one of them the
-- default, chosen per email with `email_reply_to_id`. Deleting archives, as
-- Notify does: emails sent with an address keep it.
CREATE TABLE service_email_reply_to (
    id             TEXT PRIMARY KEY NOT NULL,
    service_id     TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    email_address  TEXT NOT NULL,
    is_default     INTEGER NOT NULL DEFAULT 0,
    archived       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT
);
CREATE INDEX service_email_reply_to_service ON service_email_reply_to (service_id, created_at);
-- At most one default among a service's addresses.
CREATE UNIQUE INDEX service_email_reply_to_one_default ON service_email_reply_to (service_id)
    WHERE is_default = 1 AND archived = 0;

-- The reply-to address an email was sent with (NULL: none).
ALTER TABLE notifications ADD COLUMN reply_to TEXT;
