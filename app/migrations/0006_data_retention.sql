-- How long each service keeps its messages, per channel (Notify's
-- service_data_retention): 3 to 90 days; a channel without a row keeps them
-- 7 days.
CREATE TABLE service_data_retention (
    service_id         TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    notification_type  TEXT NOT NULL CHECK (notification_type IN ('email', 'sms', 'letter')),
    days_of_retention  INTEGER NOT NULL CHECK (days_of_retention BETWEEN 3 AND 90),
    PRIMARY KEY (service_id, notification_type)
) WITHOUT ROWID;
