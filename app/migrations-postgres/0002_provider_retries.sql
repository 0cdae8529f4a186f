-- Real providers (issue 21): as the SQLite store's 0022.
ALTER TABLE notifications
    ADD COLUMN provider_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN provider_next_attempt_at timestamptz;
