-- Complaints (issue 21): a recipient reported an email as spam, as Amazon
-- SES tells it through SNS. The email stays `delivered` (it was); the
-- complaint is recorded and shown on the message's page. Deleted with the
-- notification.
CREATE TABLE complaints (
    id               TEXT PRIMARY KEY NOT NULL,
    notification_id  TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    service_id       TEXT NOT NULL,
    -- SES's complaintFeedbackType (`abuse`, `fraud`, …), when it gave one.
    complaint_type   TEXT,
    complained_at    TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX complaints_notification ON complaints (notification_id);
