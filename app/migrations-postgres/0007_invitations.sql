-- Team members invited by email: as the SQLite store's 0027.
CREATE TABLE invited_users (
    id             uuid PRIMARY KEY,
    service_id     uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    email_address  text NOT NULL,
    invited_by     uuid NOT NULL REFERENCES users (id),
    permissions    text NOT NULL,
    token_digest   text NOT NULL,
    status         text NOT NULL CHECK (status IN ('pending', 'accepted', 'cancelled')),
    created_at     timestamptz NOT NULL,
    changed_at     timestamptz
);
CREATE UNIQUE INDEX invited_users_token ON invited_users (token_digest);
CREATE INDEX invited_users_service ON invited_users (service_id, status);

INSERT INTO templates (id, service_id, name, template_type, subject, content, version, created_at, hidden)
VALUES ('4f46df42-f795-4cc4-83bb-65ca312f49cc', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Invitation to a service',
        'email', '((user_name)) has invited you to collaborate on ((service_name))',
        '((user_name)) has invited you to collaborate on ((service_name)).' || chr(10) || chr(10) ||
        'Use this link to create an account or sign in:' || chr(10) || chr(10) ||
        '((url))' || chr(10) || chr(10) ||
        'This invitation will stop working after 2 days. This is to keep ((service_name)) secure.',
        1, '2026-12-06T00:00:00Z', true);
INSERT INTO template_versions (template_id, version, name, template_type, subject, content, created_at)
SELECT id, version, name, template_type, subject, content, created_at FROM templates
WHERE id = '4f46df42-f795-4cc4-83bb-65ca312f49cc';
