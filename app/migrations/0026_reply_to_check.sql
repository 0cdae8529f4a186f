-- A new reply-to email address is checked before it is saved (issue 21),
-- as Notify checks it: this email goes to the address from the platform
-- service (0025), and the address is added once the email is delivered.
INSERT INTO templates (id, service_id, name, template_type, subject, content, version, created_at, hidden)
VALUES ('a42aa4a1-3a6c-4ee8-8a15-06f8dcb5d2a4', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553',
        'Verify email reply-to address for a service', 'email',
        'Your reply-to email address for ((service_name))',
        'This address has been added as a reply-to email address for ((service_name)).' || char(10) || char(10) ||
        'Any replies to emails sent from ((service_name)) will come to this address.' || char(10) || char(10) ||
        'We sent this email to check the address is valid.' || char(10) || char(10) ||
        'You do not need to reply.',
        1, '2026-12-06T00:00:00.000000Z', 1);
INSERT INTO template_versions (template_id, version, name, template_type, subject, content, created_at)
SELECT id, version, name, template_type, subject, content, created_at FROM templates
WHERE id = 'a42aa4a1-3a6c-4ee8-8a15-06f8dcb5d2a4';
