-- The instances sharing the database, each saying every few seconds that
-- it is alive (issue 20): each takes its share of a service's rate limit
-- (the limit over the instances alive), so together they keep to it.
-- SQLite's one process needs no such list.
CREATE TABLE instances (
    id       text PRIMARY KEY,
    seen_at  timestamptz NOT NULL
);
