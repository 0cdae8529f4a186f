-- Members who left a team (issue 22): the API integration pages warn, until
-- dismissed or until every key they could see is rotated or revoked, that
-- those keys should be rotated (Notify's guidance: "rotate keys … after team
-- member departures").
CREATE TABLE departures (
    id             TEXT PRIMARY KEY NOT NULL,
    service_id     TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL,
    name           TEXT NOT NULL,
    email_address  TEXT NOT NULL,
    left_at        TEXT NOT NULL,
    -- They could manage (and so see) the service's API keys when they left.
    saw_keys       INTEGER NOT NULL CHECK (saw_keys IN (0, 1)),
    dismissed_at   TEXT,
    dismissed_by   TEXT REFERENCES users (id)
);
CREATE INDEX departures_open ON departures (service_id, left_at) WHERE dismissed_at IS NULL;
