-- Received text messages (issue 11): a service with `inbound_sms` gets an
-- inbound number (one number, one service); texts to it are kept here,
-- newest read first.
CREATE TABLE inbound_numbers (
    number      TEXT PRIMARY KEY NOT NULL,
    service_id  TEXT NOT NULL UNIQUE REFERENCES services (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE inbound_sms (
    id                  TEXT PRIMARY KEY NOT NULL,
    service_id          TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    -- The service's number it was sent to, and who sent it.
    notify_number       TEXT NOT NULL,
    user_number         TEXT NOT NULL,
    content             TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    -- What the provider said: its time and its reference.
    provider_date       TEXT,
    provider_reference  TEXT
);
CREATE INDEX inbound_sms_service ON inbound_sms (service_id, created_at, id);
