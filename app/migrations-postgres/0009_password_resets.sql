-- "Forgotten your password?": as the SQLite store's 0029.
CREATE TABLE password_resets (
    token_digest  text PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL,
    used_at       timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id);

INSERT INTO templates (id, service_id, name, template_type, subject, content, version, created_at, hidden)
VALUES ('0f7b6ba1-45a2-4d5f-9c53-6ec5b2c3e1a7', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Password reset',
        'email', 'Reset your password',
        'Hi ((user_name)),' || chr(10) || chr(10) ||
        'We received a request to reset your password.' || chr(10) || chr(10) ||
        'Use this link to create a new password:' || chr(10) || chr(10) ||
        '((url))' || chr(10) || chr(10) ||
        'The link works once, for 24 hours. If you did not ask to reset your password, you can ignore this email: your password has not changed.',
        1, '2026-12-06T00:00:00Z', true);
INSERT INTO template_versions (template_id, version, name, template_type, subject, content, created_at)
SELECT id, version, name, template_type, subject, content, created_at FROM templates
WHERE id = '0f7b6ba1-45a2-4d5f-9c53-6ec5b2c3e1a7';
