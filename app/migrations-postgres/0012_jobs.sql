-- As the SQLite store's 0032: jobs that send a list of recipients (issue 23).
CREATE TABLE jobs (
    id                  uuid PRIMARY KEY,
    service_id          uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    template_id         uuid NOT NULL,
    template_version    bigint NOT NULL,
    notification_type   text NOT NULL CHECK (notification_type IN ('email', 'sms', 'letter')),
    original_file_name  text NOT NULL,
    notification_count  bigint NOT NULL,
    rows_read           bigint NOT NULL DEFAULT 0,
    job_status          text NOT NULL CHECK (job_status IN
                            ('scheduled', 'pending', 'in progress', 'finished', 'cancelled', 'sending limits exceeded')),
    scheduled_for       timestamptz,
    created_by          uuid REFERENCES users (id),
    api_key_id          uuid,
    -- The key's type (an admin's job sends as a live key does).
    key_type            text NOT NULL DEFAULT 'normal' CHECK (key_type IN ('normal', 'team', 'test')),
    reply_to            text,
    created_at          timestamptz NOT NULL,
    processing_started  timestamptz,
    processing_finished timestamptz
);
CREATE INDEX jobs_service ON jobs (service_id, created_at);

CREATE TABLE job_files (
    job_id              uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    template_subject    text,
    template_content    text NOT NULL,
    delimiter           text NOT NULL,
    content             text NOT NULL
);
CREATE INDEX jobs_to_process ON jobs (job_status, created_at);

ALTER TABLE notifications ADD COLUMN job_id uuid;
ALTER TABLE notifications ADD COLUMN job_row_number bigint;
CREATE UNIQUE INDEX notifications_job_row ON notifications (job_id, job_row_number) WHERE job_id IS NOT NULL;
