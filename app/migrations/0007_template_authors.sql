-- Who made each template version: the API's `created_by` is their email
-- address (Notify's clients require a string).
ALTER TABLE template_versions ADD COLUMN created_by TEXT REFERENCES users (id);
