-- The delivery worker asks for `status = 'created'` every 300 ms. SQLite
-- cannot use the partial index on `status IN ('created', 'sending')` for that
-- (it proves a partial index applies only from the same term), so it scanned
-- the whole table, and an idle server burned a core once the table was large.
CREATE INDEX notifications_waiting ON notifications (created_at, key_type) WHERE status = 'created';
