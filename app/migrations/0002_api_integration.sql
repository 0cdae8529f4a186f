-- API keys, their audit trail, the guest list and callbacks.

CREATE TABLE api_keys (
    id                 TEXT PRIMARY KEY NOT NULL,
    service_id         TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    -- Lower case without whitespace, '_' or '-': two unrevoked keys of a
    -- service may not share one (Notify's InsensitiveSet rule).
    name_fingerprint   TEXT NOT NULL,
    key_type           TEXT NOT NULL CHECK (key_type IN ('normal', 'team', 'test')),
    secret_ciphertext  TEXT NOT NULL,
    secret_digest      TEXT NOT NULL UNIQUE,
    created_by         TEXT REFERENCES users (id),
    created_at         TEXT NOT NULL,
    expiry_date        TEXT,
    revoked_by         TEXT REFERENCES users (id),
    last_used_at       TEXT
);
CREATE INDEX api_keys_service ON api_keys (service_id);
CREATE UNIQUE INDEX api_keys_unrevoked_name ON api_keys (service_id, name_fingerprint) WHERE expiry_date IS NULL;

CREATE TABLE api_key_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key_id  TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    service_id  TEXT NOT NULL,
    event       TEXT NOT NULL CHECK (event IN ('created', 'revoked')),
    user_id     TEXT REFERENCES users (id),
    at          TEXT NOT NULL
);
CREATE INDEX api_key_events_service ON api_key_events (service_id, at);

CREATE TABLE guest_list (
    service_id      TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    recipient_type  TEXT NOT NULL CHECK (recipient_type IN ('email', 'mobile')),
    -- Email addresses as typed; mobile numbers in E.164.
    recipient       TEXT NOT NULL,
    position        INTEGER NOT NULL,
    PRIMARY KEY (service_id, recipient_type, recipient)
) WITHOUT ROWID;

CREATE TABLE service_callbacks (
    id                      TEXT PRIMARY KEY NOT NULL,
    service_id              TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    callback_type           TEXT NOT NULL CHECK (callback_type IN ('delivery_status', 'inbound_sms', 'returned_letter')),
    url                     TEXT NOT NULL,
    bearer_token_ciphertext TEXT NOT NULL,
    updated_by              TEXT REFERENCES users (id),
    updated_at              TEXT NOT NULL,
    UNIQUE (service_id, callback_type)
);
