-- A second factor at sign-in (issue 22): each user's sign-in method, as
-- Notify's (`email_auth`: a link or code by email; `sms_auth`: a code by
-- text message; `webauthn_auth`: a security key), or a password alone for
-- the demo seed's and scripted users. Accounts from before keep signing in as they did (a password
-- alone) until they choose a method on "Your account": an upgrade must not
-- lock anyone out of a server whose email provider is not set up yet.
ALTER TABLE users ADD COLUMN auth_type TEXT NOT NULL DEFAULT 'password_only'
    CHECK (auth_type IN ('email_auth', 'sms_auth', 'webauthn_auth', 'password_only'));

-- Codes and links sent to prove who someone is: at sign-in (to the user's
-- email address or phone), and to confirm a new email address or mobile
-- number on "Your account". A code is sealed with the server key (never
-- stored readable); a link's token is stored as its SHA-256 digest. Each
-- works once, for 15 minutes, and for at most 10 tries.
CREATE TABLE verify_codes (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL CHECK (purpose IN ('sign_in', 'new_email', 'new_mobile')),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'webauthn')),
    -- The browser that signed in with the password (the digest of its
    -- pending sign-in cookie); null for a change of account details, which
    -- the session guards.
    browser_digest  TEXT,
    sealed_code     TEXT,
    link_digest     TEXT,
    -- Where to go after signing in, or the new email address or number.
    detail          TEXT,
    created_at      TEXT NOT NULL,
    tries           INTEGER NOT NULL DEFAULT 0,
    used_at         TEXT
);
CREATE INDEX verify_codes_browser ON verify_codes (browser_digest) WHERE browser_digest IS NOT NULL;
CREATE INDEX verify_codes_user ON verify_codes (user_id, purpose);
CREATE UNIQUE INDEX verify_codes_link ON verify_codes (link_digest) WHERE link_digest IS NOT NULL;

-- Security keys (WebAuthn): each user's registered keys, as webauthn-rs
-- keeps them (the credential's public key and its signature counter; no
-- secret), and the challenges of registrations and sign-ins in progress
-- (webauthn-rs's state for each, used once, for 5 minutes).
CREATE TABLE security_keys (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    credential_id   TEXT NOT NULL,
    credential      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_used_at    TEXT
);
CREATE UNIQUE INDEX security_keys_credential ON security_keys (credential_id);
CREATE INDEX security_keys_user ON security_keys (user_id);

CREATE TABLE webauthn_challenges (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL CHECK (purpose IN ('register', 'sign_in')),
    browser_digest  TEXT,
    state           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    used_at         TEXT
);
CREATE INDEX webauthn_challenges_user ON webauthn_challenges (user_id, purpose);

-- The platform service sends text messages too (sign-in codes).
INSERT INTO service_permissions (service_id, permission)
VALUES ('d6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'sms');

INSERT INTO templates (id, service_id, name, template_type, subject, content, version, created_at, hidden)
VALUES ('5b1e0c4d-8f7a-4c1e-9a57-2d0e6f3b9c11', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Sign-in email',
        'email', 'Sign in to Notify API',
        'Hi ((user_name)),' || char(10) || char(10) ||
        'Use this link to sign in:' || char(10) || char(10) ||
        '((url))' || char(10) || char(10) ||
        'Or enter this security code: ((code))' || char(10) || char(10) ||
        'The link and the code work once, for 15 minutes. If you did not try to sign in, someone may know your password: change it on Your account.',
        1, '2026-12-06T00:00:00.000000Z', 1),
       ('7c2f1d5e-9a8b-4d2f-8b68-3e1f7a4c0d22', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Sign-in text message',
        'sms', NULL,
        '((code)) is your Notify API security code',
        1, '2026-12-06T00:00:00.000000Z', 1),
       ('9d3a2e6f-0b9c-4e3a-9c79-4f2a8b5d1e33', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Confirm new email address',
        'email', 'Confirm your new email address',
        'Hi ((user_name)),' || char(10) || char(10) ||
        'Use this link to confirm your new email address:' || char(10) || char(10) ||
        '((url))' || char(10) || char(10) ||
        'The link works once, for 15 minutes. If you did not ask to change your email address, you can ignore this email.',
        1, '2026-12-06T00:00:00.000000Z', 1),
       ('ae4b3f70-1cad-4f4b-8d8a-5a3b9c6e2f44', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Confirm new mobile number',
        'sms', NULL,
        '((code)) is your Notify API security code to confirm your new mobile number',
        1, '2026-12-06T00:00:00.000000Z', 1);
INSERT INTO template_versions (template_id, version, name, template_type, subject, content, created_at)
SELECT id, version, name, template_type, subject, content, created_at FROM templates
WHERE id IN ('5b1e0c4d-8f7a-4c1e-9a57-2d0e6f3b9c11', '7c2f1d5e-9a8b-4d2f-8b68-3e1f7a4c0d22',
             '9d3a2e6f-0b9c-4e3a-9c79-4f2a8b5d1e33', 'ae4b3f70-1cad-4f4b-8d8a-5a3b9c6e2f44');
