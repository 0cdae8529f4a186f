-- Users, services, membership and permissions, templates, sessions.
-- Ids are hyphenated UUID text; times are UTC text in RFC 3339 with
-- microseconds and a trailing Z, so they sort as text.

CREATE TABLE users (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    email_address   TEXT NOT NULL,
    mobile_number   TEXT,
    password_hash   TEXT NOT NULL,
    platform_admin  INTEGER NOT NULL DEFAULT 0 CHECK (platform_admin IN (0, 1)),
    created_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX users_email_address ON users (email_address COLLATE NOCASE);

CREATE TABLE services (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    restricted  INTEGER NOT NULL DEFAULT 1 CHECK (restricted IN (0, 1)),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX services_name ON services (name COLLATE NOCASE);

CREATE TABLE service_permissions (
    service_id  TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    permission  TEXT NOT NULL CHECK (permission IN ('email', 'sms', 'letter', 'inbound_sms')),
    PRIMARY KEY (service_id, permission)
) WITHOUT ROWID;

-- Membership is its own row so that a member may hold no permission at all.
CREATE TABLE service_users (
    service_id  TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, user_id)
) WITHOUT ROWID;
CREATE INDEX service_users_user ON service_users (user_id);

CREATE TABLE user_service_permissions (
    service_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    permission  TEXT NOT NULL CHECK (permission IN
                  ('manage_api_keys', 'view_activity', 'send_messages', 'manage_service', 'manage_templates')),
    PRIMARY KEY (service_id, user_id, permission),
    FOREIGN KEY (service_id, user_id) REFERENCES service_users (service_id, user_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE templates (
    id             TEXT PRIMARY KEY NOT NULL,
    service_id     TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    template_type  TEXT NOT NULL CHECK (template_type IN ('email', 'sms', 'letter')),
    subject        TEXT,
    content        TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    archived       INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT
);
CREATE INDEX templates_service ON templates (service_id);

-- Every version of every template, the current one included, so that a
-- notification can name the exact version it was made from.
CREATE TABLE template_versions (
    template_id    TEXT NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
    version        INTEGER NOT NULL,
    name           TEXT NOT NULL,
    template_type  TEXT NOT NULL,
    subject        TEXT,
    content        TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (template_id, version)
) WITHOUT ROWID;

-- Server-side sessions. Only a SHA-256 digest of the session id is stored,
-- so the table cannot be used to take over a session.
CREATE TABLE sessions (
    id_digest     TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    flash         TEXT
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins per (lower-cased) email address, for throttling.
CREATE TABLE sign_in_failures (
    email_address  TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX sign_in_failures_email_at ON sign_in_failures (email_address, at);
