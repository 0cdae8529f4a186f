-- Complaints (issue 21): as the SQLite store's 0024.
CREATE TABLE complaints (
    id               uuid PRIMARY KEY,
    notification_id  uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    service_id       uuid NOT NULL,
    complaint_type   text,
    complained_at    timestamptz NOT NULL,
    created_at       timestamptz NOT NULL
);
CREATE INDEX complaints_notification ON complaints (notification_id);
