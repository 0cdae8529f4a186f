-- Several instances send one database's callbacks (issue 20). An event's
-- place in the order it was written is `seq` (SQLite's `rowid`), and an
-- instance that takes an event to send it holds a lease on it until its
-- outcome is recorded: `leased_by` (the instance), `lease_until` (renewed
-- while the instance lives; after it, another instance may send the event).
-- SQLite has neither: it has its rowid, and one process sends, its claims
-- held in memory.
ALTER TABLE callback_events
    ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY,
    ADD COLUMN leased_by text,
    ADD COLUMN lease_until timestamptz;
CREATE UNIQUE INDEX callback_events_seq ON callback_events (seq);
