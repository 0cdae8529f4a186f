-- As the SQLite store's 0030: each user's sign-in method, the codes and
-- links that prove who someone is, and security keys (issue 22).
ALTER TABLE users ADD COLUMN auth_type text NOT NULL DEFAULT 'password_only'
    CHECK (auth_type IN ('email_auth', 'sms_auth', 'webauthn_auth', 'password_only'));

-- Codes and links sent to prove who someone is: at sign-in (to the user's
-- email address or phone), and to confirm a new email address or mobile
-- number on "Your account". A code is sealed with the server key (never
-- stored readable); a link's token is stored as its SHA-256 digest. Each
-- works once, for 15 minutes, and for at most 10 tries.
CREATE TABLE verify_codes (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose         text NOT NULL CHECK (purpose IN ('sign_in', 'new_email', 'new_mobile')),
    channel         text NOT NULL CHECK (channel IN ('email', 'sms', 'webauthn')),
    -- The browser that signed in with the password (the digest of its
    -- pending sign-in cookie); null for a change of account details, which
    -- the session guards.
    browser_digest  text,
    sealed_code     text,
    link_digest     text,
    -- Where to go after signing in, or the new email address or number.
    detail          text,
    created_at      timestamptz NOT NULL,
    tries           integer NOT NULL DEFAULT 0,
    used_at         timestamptz
);
CREATE INDEX verify_codes_browser ON verify_codes (browser_digest) WHERE browser_digest IS NOT NULL;
CREATE INDEX verify_codes_user ON verify_codes (user_id, purpose);
CREATE UNIQUE INDEX verify_codes_link ON verify_codes (link_digest) WHERE link_digest IS NOT NULL;

-- Security keys (WebAuthn): each user's registered keys, as webauthn-rs
-- keeps them (the credential's public key and its signature counter; no
-- secret), and the challenges of registrations and sign-ins in progress
-- (webauthn-rs's state for each, used once, for 5 minutes).
CREATE TABLE security_keys (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            text NOT NULL,
    credential_id   text NOT NULL,
    credential      text NOT NULL,
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz
);
CREATE UNIQUE INDEX security_keys_credential ON security_keys (credential_id);
CREATE INDEX security_keys_user ON security_keys (user_id);

CREATE TABLE webauthn_challenges (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose         text NOT NULL CHECK (purpose IN ('register', 'sign_in')),
    browser_digest  text,
    state           text NOT NULL,
    created_at      timestamptz NOT NULL,
    used_at         timestamptz
);
CREATE INDEX webauthn_challenges_user ON webauthn_challenges (user_id, purpose);

-- The platform service sends text messages too (sign-in codes).
INSERT INTO service_permissions (service_id, permission)
VALUES ('d6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'sms');

INSERT INTO templates (id, service_id, name, template_type, subject, content, version, created_at, hidden)
VALUES ('5b1e0c4d-8f7a-4c1e-9a57-2d0e6f3b9c11', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Sign-in email',
        'email', 'Sign in to Notify API',
        'Hi ((user_name)),' || chr(10) || chr(10) ||
        'Use this link to sign in:' || chr(10) || chr(10) ||
        '((url))' || chr(10) || chr(10) ||
        'Or enter this security code: ((code))' || chr(10) || chr(10) ||
        'The link and the code work once, for 15 minutes. If you did not try to sign in, someone may know your password: change it on Your account.',
        1, '2026-12-06T00:00:00Z', true),
       ('7c2f1d5e-9a8b-4d2f-8b68-3e1f7a4c0d22', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Sign-in text message',
        'sms', NULL,
        '((code)) is your Notify API security code',
        1, '2026-12-06T00:00:00Z', true),
       ('9d3a2e6f-0b9c-4e3a-9c79-4f2a8b5d1e33', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Confirm new email address',
        'email', 'Confirm your new email address',
        'Hi ((user_name)),' || chr(10) || chr(10) ||
        'Use this link to confirm your new email address:' || chr(10) || chr(10) ||
        '((url))' || chr(10) || chr(10) ||
        'The link works once, for 15 minutes. If you did not ask to change your email address, you can ignore this email.',
        1, '2026-12-06T00:00:00Z', true),
       ('ae4b3f70-1cad-4f4b-8d8a-5a3b9c6e2f44', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Confirm new mobile number',
        'sms', NULL,
        '((code)) is your Notify API security code to confirm your new mobile number',
        1, '2026-12-06T00:00:00Z', true);
INSERT INTO template_versions (template_id, version, name, template_type, subject, content, created_at)
SELECT id, version, name, template_type, subject, content, created_at FROM templates
WHERE id IN ('5b1e0c4d-8f7a-4c1e-9a57-2d0e6f3b9c11', '7c2f1d5e-9a8b-4d2f-8b68-3e1f7a4c0d22',
             '9d3a2e6f-0b9c-4e3a-9c79-4f2a8b5d1e33', 'ae4b3f70-1cad-4f4b-8d8a-5a3b9c6e2f44');
