-- Real providers' receipts (issue 21). A message a provider accepted waits
-- in `sending` (or `pending`, as a text message provider reports it) for
-- its delivery receipt; those that never get one are timed out, found by
-- this index without reading the table.
CREATE INDEX notifications_awaiting_receipt ON notifications (sent_at) WHERE status IN ('sending', 'pending');
-- The send's `one_click_unsubscribe_url`, for the email's List-Unsubscribe
-- headers (RFC 8058).
ALTER TABLE notifications ADD COLUMN one_click_unsubscribe_url TEXT;
