-- Real providers (issue 21): how many times a message has been offered to
-- its provider, and when it is next due after a refusal that may pass (an
-- SMTP relay's 4xx, a relay that could not be reached). NULL: due now.
ALTER TABLE notifications ADD COLUMN provider_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN provider_next_attempt_at TEXT;
