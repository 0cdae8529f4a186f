-- Real providers' receipts (issue 21): as the SQLite store's 0023.
CREATE INDEX notifications_awaiting_receipt ON notifications (sent_at) WHERE status IN ('sending', 'pending');
ALTER TABLE notifications ADD COLUMN one_click_unsubscribe_url text;
