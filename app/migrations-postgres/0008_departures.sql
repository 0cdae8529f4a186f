-- Members who left a team: as the SQLite store's 0028.
CREATE TABLE departures (
    id             uuid PRIMARY KEY,
    service_id     uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    user_id        uuid NOT NULL,
    name           text NOT NULL,
    email_address  text NOT NULL,
    left_at        timestamptz NOT NULL,
    saw_keys       boolean NOT NULL,
    dismissed_at   timestamptz,
    dismissed_by   uuid REFERENCES users (id)
);
CREATE INDEX departures_open ON departures (service_id, left_at) WHERE dismissed_at IS NULL;
