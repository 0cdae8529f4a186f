-- Time-ordered callback event ids (issue 9 and 10's write costs): the
-- `webhook-id` was 32 random hex digits, so each new event went to a random
-- place in the primary key's index, and under load every group of receipts
-- dirtied pages all over it (more to sync, a longer write-ahead log). Now
-- the first 12 hex digits are the milliseconds since 1970 and the other 20
-- random: still unique and unguessable per event and stable across retries,
-- but appended at the end of the index. (Notification ids are UUIDv7 for the
-- same reason.) The trigger is otherwise 0012's.
DROP TRIGGER notifications_delivery_receipt;
CREATE TRIGGER notifications_delivery_receipt
AFTER UPDATE OF status ON notifications
WHEN (NEW.status = 'delivered' OR NEW.status = 'permanent-failure'
      OR NEW.status = 'temporary-failure' OR NEW.status = 'technical-failure')
     AND OLD.status IS NOT NEW.status
BEGIN
    INSERT INTO callback_events (id, service_id, callback_type, notification_id, payload, created_at, next_attempt_at)
    SELECT 'msg_' || lower(printf('%012X', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))
                           || hex(randomblob(10))), NEW.service_id, 'delivery_status', NEW.id,
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
