-- One-step rotation (issue 13): a rotated key names the key that replaced
-- it, and leaves the rule that two working keys may not share a name, so
-- the new key can take its name while the old one keeps working for the
-- overlap.
ALTER TABLE api_keys ADD COLUMN rotated_to TEXT;
DROP INDEX api_keys_unrevoked_name;
CREATE UNIQUE INDEX api_keys_unrevoked_name ON api_keys (service_id, name_fingerprint)
    WHERE expiry_date IS NULL AND rotated_to IS NULL;
