-- Emails this service sends its own users (issue 21: key-usage alerts; the
-- team issue's invitations and sign-in codes next), as Notify sends them:
-- notifications of a service of its own (Notify's NOTIFY_SERVICE_ID), from
-- its templates, through the same providers, retries, receipts and
-- retention as every other email. The service has no members: no page
-- shows it.
INSERT INTO services (id, name, restricted, active, created_at)
VALUES ('d6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Notify API', 0, 1, '2026-12-06T00:00:00.000000Z');
INSERT INTO service_permissions (service_id, permission)
VALUES ('d6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'email');
INSERT INTO templates (id, service_id, name, template_type, subject, content, version, created_at, hidden)
VALUES ('8a31520f-4751-4789-8ea1-fe54496725eb', 'd6aa2c68-a2d9-4437-ab19-3ae8eb202553', 'Key-usage alert',
        'email', 'Unusual use of an API key for ((service_name))',
        'An alert was raised on the API integration of ((service_name)):' || char(10) || char(10) ||
        '^ ((alert))' || char(10) || char(10) ||
        'If you do not recognise this use, revoke the key and make a new one: ((url))' || char(10) || char(10) ||
        'You get this email because you can manage the API integration of ((service_name)).',
        1, '2026-12-06T00:00:00.000000Z', 1);
INSERT INTO template_versions (template_id, version, name, template_type, subject, content, created_at)
SELECT id, version, name, template_type, subject, content, created_at FROM templates
WHERE id = '8a31520f-4751-4789-8ea1-fe54496725eb';

-- Each alert is emailed once: the alerts job writes the emails and this
-- time in one transaction. Alerts raised before this migration are not
-- emailed now.
ALTER TABLE key_alerts ADD COLUMN emailed_at TEXT;
UPDATE key_alerts SET emailed_at = raised_at;
CREATE INDEX key_alerts_to_email ON key_alerts (id) WHERE emailed_at IS NULL;
