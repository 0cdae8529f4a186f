-- A new reply-to email address is checked before it is saved: as the
-- SQLite store's 0026.
INSERT INTO templates (id, service_id, name, template_type, subject, content, version, created_at, hidden)
VALUES ('a42aa4a1-3a6c-4ee8-8a15-06f8dcb5d2a4', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553',
        'Verify email reply-to address for a service', 'email',
        'Your reply-to email address for ((service_name))',
        'This address has been added as a reply-to email address for ((service_name)).' || chr(10) || chr(10) ||
        'Any replies to emails sent from ((service_name)) will come to this address.' || chr(10) || chr(10) ||
        'We sent this email to check the address is valid.' || chr(10) || chr(10) ||
        'You do not need to reply.',
        1, '2026-12-06T00:00:00Z', true);
INSERT INTO template_versions (template_id, version, name, template_type, subject, content, created_at)
SELECT id, version, name, template_type, subject, content, created_at FROM templates
WHERE id = 'a42aa4a1-3a6c-4ee8-8a15-06f8dcb5d2a4';
