-- The service's audit log (issue 13): every change to its API integration,
-- with who and when, in words that never hold a secret.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id  TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    user_id     TEXT REFERENCES users (id),
    -- What happened, as a user reads it: `Created API key ‘x’`…
    description TEXT NOT NULL,
    -- `change`, or `leak` for a key reported leaked (the hub warns of those).
    kind        TEXT NOT NULL DEFAULT 'change' CHECK (kind IN ('change', 'leak'))
);
CREATE INDEX audit_events_service ON audit_events (service_id, id);

-- What the key events table already knows.
INSERT INTO audit_events (service_id, at, user_id, description)
SELECT e.service_id, e.at, e.user_id,
       CASE e.event WHEN 'created' THEN 'Created API key ‘' ELSE 'Revoked API key ‘' END || k.name || '’'
FROM api_key_events e JOIN api_keys k ON k.id = e.api_key_id
ORDER BY e.id;
