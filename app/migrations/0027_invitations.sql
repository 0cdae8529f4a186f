-- Team members invited by email (issue 22), as Notify invites them: the
-- email carries a single-use link whose token is stored only as a SHA-256
-- digest; it works for 2 days, once, for the address it was sent to.
CREATE TABLE invited_users (
    id             TEXT PRIMARY KEY NOT NULL,
    service_id     TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    email_address  TEXT NOT NULL,
    invited_by     TEXT NOT NULL REFERENCES users (id),
    -- Comma-separated permissions, as user_service_permissions names them.
    permissions    TEXT NOT NULL,
    token_digest   TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'cancelled')),
    created_at     TEXT NOT NULL,
    changed_at     TEXT
);
CREATE UNIQUE INDEX invited_users_token ON invited_users (token_digest);
CREATE INDEX invited_users_service ON invited_users (service_id, status);

INSERT INTO templates (id, service_id, name, template_type, subject, content, version, created_at, hidden)
VALUES ('4f46df42-f795-4cc4-83bb-65ca312f49cc', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Invitation to a service',
        'email', '((user_name)) has invited you to collaborate on ((service_name))',
        '((user_name)) has invited you to collaborate on ((service_name)).' || char(10) || char(10) ||
        'Use this link to create an account or sign in:' || char(10) || char(10) ||
        '((url))' || char(10) || char(10) ||
        'This invitation will stop working after 2 days. This is to keep ((service_name)) secure.',
        1, '2026-12-06T00:00:00.000000Z', 1);
INSERT INTO template_versions (template_id, version, name, template_type, subject, content, created_at)
SELECT id, version, name, template_type, subject, content, created_at FROM templates
WHERE id = '4f46df42-f795-4cc4-83bb-65ca312f49cc';
