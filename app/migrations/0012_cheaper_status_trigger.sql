-- The delivery-receipt trigger of 0005, the same but for its WHEN: an `IN`
-- list of four constants there builds a temporary index each time the
-- trigger fires, once per notification whose status changes. Spelt out with
-- `=`, a bulk update of 200,000 statuses costs 0.40 s instead of 0.87 s with
-- no callback configured, 1.91 s instead of 2.69 s with one (sqlite3 3.40 on
-- this machine; the statement the test-key delivery loop runs).
DROP TRIGGER notifications_delivery_receipt;
CREATE TRIGGER notifications_delivery_receipt
AFTER UPDATE OF status ON notifications
WHEN (NEW.status = 'delivered' OR NEW.status = 'permanent-failure'
      OR NEW.status = 'temporary-failure' OR NEW.status = 'technical-failure')
     AND OLD.status IS NOT NEW.status
BEGIN
    INSERT INTO callback_events (id, service_id, callback_type, notification_id, payload, created_at, next_attempt_at)
    SELECT 'msg_' || lower(hex(randomblob(16))), NEW.service_id, 'delivery_status', NEW.id,
           json_object(
               'id', NEW.id,
               'reference', NEW.client_reference,
               'to', NEW.recipient,
               'status', NEW.status,
               'created_at', NEW.created_at,
               'completed_at', NEW.completed_at,
               'sent_at', NEW.sent_at,
               'notification_type', NEW.notification_type,
               'template_id', NEW.template_id,
               'template_version', NEW.template_version),
           coalesce(NEW.updated_at, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
           -- A paused callback's events wait, parked, until it is resumed.
           CASE WHEN c.paused_at IS NULL
                THEN coalesce(NEW.updated_at, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
                ELSE '9999-12-31T00:00:00.000000Z' END
    FROM service_callbacks c
    WHERE c.service_id = NEW.service_id AND c.callback_type = 'delivery_status';
END;
