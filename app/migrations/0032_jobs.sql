-- Sending a checked list of recipients (issue 23): a job per file, sent
-- from the admin's check page or `POST /v2/notifications/bulk`. The job
-- keeps its file's text and the template as it was when the job was made
-- (in `job_files`), so an edit to the template later does not change what
-- the job sends.
-- `rows_read` is the worker's cursor: the records after the header that are
-- already stored as notifications, moved in the same transaction as the
-- notifications it stores, so a job resumed after a crash stores each row
-- exactly once (the unique index on the notifications' job and row holds
-- that as well).
CREATE TABLE jobs (
    id                  TEXT PRIMARY KEY NOT NULL,
    service_id          TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    template_id         TEXT NOT NULL,
    template_version    INTEGER NOT NULL,
    notification_type   TEXT NOT NULL CHECK (notification_type IN ('email', 'sms', 'letter')),
    original_file_name  TEXT NOT NULL,
    notification_count  INTEGER NOT NULL,
    rows_read           INTEGER NOT NULL DEFAULT 0,
    job_status          TEXT NOT NULL CHECK (job_status IN
                            ('scheduled', 'pending', 'in progress', 'finished', 'cancelled', 'sending limits exceeded')),
    scheduled_for       TEXT,
    -- Who sent it: a team member from the admin, or an API key.
    created_by          TEXT REFERENCES users (id),
    api_key_id          TEXT,
    -- The key's type (an admin's job sends as a live key does).
    key_type            TEXT NOT NULL DEFAULT 'normal' CHECK (key_type IN ('normal', 'team', 'test')),
    -- An email's reply-to address or a text message's sender.
    reply_to            TEXT,
    created_at          TEXT NOT NULL,
    processing_started  TEXT,
    processing_finished TEXT
);
CREATE INDEX jobs_service ON jobs (service_id, created_at);

-- A job's file and its template as it was, apart from the job: SQLite
-- rewrites a whole row on every update, and the cursor moves with every
-- batch (with the file in the row, each batch wrote the 4 MB file to the
-- log again, bench/jobs.sh). Deleted with its messages' retention.
CREATE TABLE job_files (
    job_id              TEXT PRIMARY KEY NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    template_subject    TEXT,
    template_content    TEXT NOT NULL,
    delimiter           TEXT NOT NULL,
    content             TEXT NOT NULL
);
CREATE INDEX jobs_to_process ON jobs (job_status, created_at);

ALTER TABLE notifications ADD COLUMN job_id TEXT;
-- The row's number in the job's file, counting from 0 at the first row after
-- the header, as Notify's `job_row_number`.
ALTER TABLE notifications ADD COLUMN job_row_number INTEGER;
CREATE UNIQUE INDEX notifications_job_row ON notifications (job_id, job_row_number) WHERE job_id IS NOT NULL;
