-- Keys that expire (issue 13): when a key stops working on its own, apart
-- from `expiry_date` (Notify's name for when it was revoked); and the
-- longest lifetime a service allows its new keys (NULL: no limit).
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
ALTER TABLE services ADD COLUMN max_key_lifetime_days INTEGER CHECK (max_key_lifetime_days > 0);
