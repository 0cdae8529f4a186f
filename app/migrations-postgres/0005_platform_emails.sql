-- Emails this service sends its own users: as the SQLite store's 0025.
INSERT INTO services (id, name, restricted, active, created_at)
VALUES ('d6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Notify API', false, true, '2026-12-06T00:00:00Z');
INSERT INTO service_permissions (service_id, permission)
VALUES ('d6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'email');
INSERT INTO templates (id, service_id, name, template_type, subject, content, version, created_at, hidden)
VALUES ('8a31520f-4751-4789-8ea1-fe54496725eb', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Key-usage alert',
        'email', 'Unusual use of an API key for ((service_name))',
        'An alert was raised on the API integration of ((service_name)):' || chr(10) || chr(10) ||
        '^ ((alert))' || chr(10) || chr(10) ||
        'If you do not recognise this use, revoke the key and make a new one: ((url))' || chr(10) || chr(10) ||
        'You get this email because you can manage the API integration of ((service_name)).',
        1, '2026-12-06T00:00:00Z', true);
INSERT INTO template_versions (template_id, version, name, template_type, subject, content, created_at)
SELECT id, version, name, template_type, subject, content, created_at FROM templates
WHERE id = '8a31520f-4751-4789-8ea1-fe54496725eb';

ALTER TABLE key_alerts ADD COLUMN emailed_at timestamptz;
UPDATE key_alerts SET emailed_at = raised_at;
CREATE INDEX key_alerts_to_email ON key_alerts (id) WHERE emailed_at IS NULL;
