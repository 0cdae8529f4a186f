-- The PostgreSQL store's schema (issue 20): the same tables, columns,
-- nullability and named indexes as the SQLite store's migrations end with
-- (`server/tests/postgres_schema.rs` holds the two together), in
-- PostgreSQL's own types: ids are `uuid` (but a callback event's
-- `webhook-id`, `msg_…`), times `timestamptz`, flags `boolean`, counters
-- `bigint`, files `bytea`. A callback payload stays `text`: every retry sends
-- the same bytes, and `jsonb` would reorder them.
--
-- Not here: SQLite's key-usage trigger (`notifications_key_outcome`). Its
-- counting moves into the Rust store, as the delivery receipts did
-- (migration 0020 of the SQLite store), before the PostgreSQL store serves.

CREATE TABLE users (
    id              uuid PRIMARY KEY,
    name            text NOT NULL,
    email_address   text NOT NULL,
    mobile_number   text,
    password_hash   text NOT NULL,
    platform_admin  boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email_address ON users (lower(email_address));

CREATE TABLE services (
    id                     uuid PRIMARY KEY,
    name                   text NOT NULL,
    restricted             boolean NOT NULL DEFAULT true,
    active                 boolean NOT NULL DEFAULT true,
    created_at             timestamptz NOT NULL,
    rate_limit             bigint NOT NULL DEFAULT 3000,
    email_message_limit    bigint NOT NULL DEFAULT 1000,
    sms_message_limit      bigint NOT NULL DEFAULT 1000,
    letter_message_limit   bigint NOT NULL DEFAULT 1000,
    max_key_lifetime_days  integer CHECK (max_key_lifetime_days > 0)
);
CREATE UNIQUE INDEX services_name ON services (lower(name));

CREATE TABLE service_permissions (
    service_id  uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    permission  text NOT NULL CHECK (permission IN ('email', 'sms', 'letter', 'inbound_sms')),
    PRIMARY KEY (service_id, permission)
);

CREATE TABLE service_users (
    service_id  uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, user_id)
);
CREATE INDEX service_users_user ON service_users (user_id);

CREATE TABLE user_service_permissions (
    service_id  uuid NOT NULL,
    user_id     uuid NOT NULL,
    permission  text NOT NULL CHECK (permission IN
                  ('manage_api_keys', 'view_activity', 'send_messages', 'manage_service', 'manage_templates')),
    PRIMARY KEY (service_id, user_id, permission),
    FOREIGN KEY (service_id, user_id) REFERENCES service_users (service_id, user_id) ON DELETE CASCADE
);

CREATE TABLE templates (
    id                 uuid PRIMARY KEY,
    service_id         uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name               text NOT NULL,
    template_type      text NOT NULL CHECK (template_type IN ('email', 'sms', 'letter')),
    subject            text,
    content            text NOT NULL,
    version            integer NOT NULL DEFAULT 1,
    archived           boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz,
    hidden             boolean NOT NULL DEFAULT false,
    letter_contact_id  uuid
);
CREATE INDEX templates_service ON templates (service_id);

CREATE TABLE template_versions (
    template_id        uuid NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
    version            integer NOT NULL,
    name               text NOT NULL,
    template_type      text NOT NULL,
    subject            text,
    content            text NOT NULL,
    created_at         timestamptz NOT NULL,
    created_by         uuid REFERENCES users (id),
    letter_contact_id  uuid,
    PRIMARY KEY (template_id, version)
);

CREATE TABLE sessions (
    id_digest     text PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    flash         text
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE sign_in_failures (
    email_address  text NOT NULL,
    at             timestamptz NOT NULL
);
CREATE INDEX sign_in_failures_email_at ON sign_in_failures (email_address, at);

CREATE TABLE api_keys (
    id                 uuid PRIMARY KEY,
    service_id         uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name               text NOT NULL,
    -- Lower case without whitespace, '_' or '-': two unrevoked keys of a
    -- service may not share one (Notify's InsensitiveSet rule).
    name_fingerprint   text NOT NULL,
    key_type           text NOT NULL CHECK (key_type IN ('normal', 'team', 'test')),
    secret_ciphertext  text NOT NULL,
    secret_digest      text NOT NULL UNIQUE,
    created_by         uuid REFERENCES users (id),
    created_at         timestamptz NOT NULL,
    expiry_date        timestamptz,
    revoked_by         uuid REFERENCES users (id),
    last_used_at       timestamptz,
    expires_at         timestamptz,
    rotated_to         uuid,
    expiry_audited     boolean NOT NULL DEFAULT false
);
CREATE INDEX api_keys_service ON api_keys (service_id);
CREATE UNIQUE INDEX api_keys_unrevoked_name ON api_keys (service_id, name_fingerprint)
    WHERE expiry_date IS NULL AND rotated_to IS NULL;

CREATE TABLE api_key_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    api_key_id  uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    service_id  uuid NOT NULL,
    event       text NOT NULL CHECK (event IN ('created', 'revoked')),
    user_id     uuid REFERENCES users (id),
    at          timestamptz NOT NULL
);
CREATE INDEX api_key_events_service ON api_key_events (service_id, at);

CREATE TABLE guest_list (
    service_id      uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    recipient_type  text NOT NULL CHECK (recipient_type IN ('email', 'mobile')),
    -- Email addresses as typed; mobile numbers in E.164.
    recipient       text NOT NULL,
    position        integer NOT NULL,
    PRIMARY KEY (service_id, recipient_type, recipient)
);

CREATE TABLE service_callbacks (
    id                                  uuid PRIMARY KEY,
    service_id                          uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    callback_type                       text NOT NULL
                                          CHECK (callback_type IN ('delivery_status', 'inbound_sms', 'returned_letter')),
    url                                 text NOT NULL,
    bearer_token_ciphertext             text NOT NULL,
    updated_by                          uuid REFERENCES users (id),
    updated_at                          timestamptz NOT NULL,
    signing_secret_ciphertext           text,
    previous_signing_secret_ciphertext  text,
    previous_signing_secret_until       timestamptz,
    failing_since                       timestamptz,
    paused_at                           timestamptz,
    pause_reason                        text,
    UNIQUE (service_id, callback_type)
);

CREATE TABLE notifications (
    id                 uuid PRIMARY KEY,
    service_id         uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    api_key_id         uuid REFERENCES api_keys (id),
    key_type           text NOT NULL CHECK (key_type IN ('normal', 'team', 'test')),
    template_id        uuid NOT NULL,
    template_version   integer NOT NULL,
    notification_type  text NOT NULL CHECK (notification_type IN ('email', 'sms', 'letter')),
    recipient          text NOT NULL,
    client_reference   text,
    personalisation    text NOT NULL DEFAULT '{}',
    subject            text,
    body               text NOT NULL,
    status             text NOT NULL,
    postage            text,
    created_at         timestamptz NOT NULL,
    sent_at            timestamptz,
    completed_at       timestamptz,
    updated_at         timestamptz,
    reply_to           text,
    test_outcome       text
);
CREATE INDEX notifications_service_created ON notifications (service_id, created_at);
CREATE INDEX notifications_daily ON notifications (service_id, notification_type, key_type, created_at);
CREATE INDEX notifications_status ON notifications (status) WHERE status IN ('created', 'sending');
CREATE INDEX notifications_waiting ON notifications (created_at, key_type) WHERE status = 'created';

CREATE TABLE outbox (
    notification_id    uuid PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
    notification_type  text NOT NULL,
    recipient          text NOT NULL,
    subject            text,
    body               text NOT NULL,
    delivered_at       timestamptz NOT NULL
);

CREATE TABLE callback_events (
    -- `webhook-id`: one per event, the same on every retry of it.
    id                text PRIMARY KEY,
    service_id        uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    callback_type     text NOT NULL CHECK (callback_type IN ('delivery_status', 'inbound_sms', 'returned_letter')),
    notification_id   uuid,
    -- The JSON body, fixed when the event happened.
    payload           text NOT NULL,
    is_test           boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL,
    state             text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    first_attempt_at  timestamptz,
    -- When the next try is due (parked far in the future while paused).
    next_attempt_at   timestamptz NOT NULL,
    last_outcome      text,
    completed_at      timestamptz,
    last_status_code  integer,
    last_duration_ms  integer
);
CREATE INDEX callback_events_due ON callback_events (next_attempt_at) WHERE state = 'pending';
CREATE INDEX callback_events_notification ON callback_events (notification_id) WHERE notification_id IS NOT NULL;
CREATE INDEX callback_events_first_tries ON callback_events (service_id, callback_type, first_attempt_at)
    WHERE state = 'delivered' AND attempts = 1;
CREATE INDEX callback_events_service ON callback_events (service_id, callback_type, state, created_at)
    WHERE state != 'delivered';

CREATE TABLE callback_attempts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         text NOT NULL REFERENCES callback_events (id) ON DELETE CASCADE,
    service_id       uuid NOT NULL,
    callback_type    text NOT NULL,
    at               timestamptz NOT NULL,
    status_code      integer,
    outcome          text NOT NULL,
    duration_ms      integer NOT NULL,
    next_attempt_at  timestamptz
);
CREATE INDEX callback_attempts_service ON callback_attempts (service_id, callback_type, id);
CREATE INDEX callback_attempts_event ON callback_attempts (event_id);

CREATE TABLE service_data_retention (
    service_id         uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    notification_type  text NOT NULL CHECK (notification_type IN ('email', 'sms', 'letter')),
    days_of_retention  integer NOT NULL CHECK (days_of_retention BETWEEN 3 AND 90),
    PRIMARY KEY (service_id, notification_type)
);

CREATE TABLE audit_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id   uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL,
    user_id      uuid REFERENCES users (id),
    description  text NOT NULL,
    kind         text NOT NULL DEFAULT 'change' CHECK (kind IN ('change', 'leak')),
    api_key_id   uuid
);
CREATE INDEX audit_events_service ON audit_events (service_id, id);
CREATE INDEX audit_events_key ON audit_events (api_key_id, id) WHERE api_key_id IS NOT NULL;

CREATE TABLE key_usage (
    key_id  uuid NOT NULL,
    -- The hour counted (the start of it).
    hour    timestamptz NOT NULL,
    metric  text NOT NULL,
    n       bigint NOT NULL,
    PRIMARY KEY (key_id, hour, metric)
);
CREATE INDEX key_usage_hour ON key_usage (hour);

CREATE TABLE service_refusals (
    service_id  uuid NOT NULL,
    hour        timestamptz NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (service_id, hour)
);
CREATE INDEX service_refusals_hour ON service_refusals (hour);

CREATE TABLE key_alerts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id    uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    key_id        uuid REFERENCES api_keys (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('send_spike', 'refusals', 'idle_key_used')),
    period        text NOT NULL,
    detail        text NOT NULL,
    raised_at     timestamptz NOT NULL,
    dismissed_at  timestamptz,
    dismissed_by  uuid REFERENCES users (id)
);
CREATE UNIQUE INDEX key_alerts_once ON key_alerts (service_id, coalesce(key_id::text, ''), kind, period);
CREATE INDEX key_alerts_open ON key_alerts (service_id, id) WHERE dismissed_at IS NULL;

CREATE TABLE service_senders (
    id          uuid PRIMARY KEY,
    service_id  uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('email_reply_to', 'sms_sender', 'letter_contact')),
    value       text NOT NULL,
    is_default  boolean NOT NULL DEFAULT false,
    archived    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz
);
CREATE INDEX service_senders_service ON service_senders (service_id, kind, created_at);
CREATE UNIQUE INDEX service_senders_one_default ON service_senders (service_id, kind)
    WHERE is_default AND NOT archived;

CREATE TABLE inbound_numbers (
    number      text PRIMARY KEY,
    service_id  uuid NOT NULL UNIQUE REFERENCES services (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL
);

CREATE TABLE inbound_sms (
    id                  uuid PRIMARY KEY,
    service_id          uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    notify_number       text NOT NULL,
    user_number         text NOT NULL,
    content             text NOT NULL,
    created_at          timestamptz NOT NULL,
    provider_date       text,
    provider_reference  text
);
CREATE INDEX inbound_sms_service ON inbound_sms (service_id, created_at, id);

CREATE TABLE letter_pdfs (
    notification_id  uuid PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
    service_id       uuid NOT NULL,
    pdf              bytea NOT NULL,
    page_count       integer,
    invalid_reason   text,
    invalid_pages    text,
    created_at       timestamptz NOT NULL,
    checked_at       timestamptz,
    check_attempts   integer NOT NULL DEFAULT 0,
    size             bigint NOT NULL DEFAULT 0,
    test_key         boolean NOT NULL DEFAULT false
);
CREATE INDEX letter_pdfs_unchecked ON letter_pdfs (created_at) WHERE checked_at IS NULL;
CREATE INDEX letter_pdfs_daily_bytes ON letter_pdfs (service_id, test_key, created_at, size);
