-- A reserved sign-in try is given back by its id. It was SQLite's `rowid`;
-- PostgreSQL has none, so the id becomes a column on both stores (here the
-- same numbers: `id INTEGER PRIMARY KEY` is the rowid by another name).
CREATE TABLE sign_in_failures_new (
    id             INTEGER PRIMARY KEY,
    email_address  TEXT NOT NULL,
    at             TEXT NOT NULL
);
INSERT INTO sign_in_failures_new (id, email_address, at) SELECT rowid, email_address, at FROM sign_in_failures;
DROP TABLE sign_in_failures;
ALTER TABLE sign_in_failures_new RENAME TO sign_in_failures;
CREATE INDEX sign_in_failures_email_at ON sign_in_failures (email_address, at);
