-- Every stored number is read into an i64 by the store (SQLite's INTEGER is
-- 64 bits), and sqlx decodes only `bigint` into an i64: the `integer`
-- columns of the first migrations become `bigint`, so that one statement
-- reads them on both backends.
ALTER TABLE services ALTER COLUMN max_key_lifetime_days TYPE bigint;
ALTER TABLE templates ALTER COLUMN version TYPE bigint;
ALTER TABLE template_versions ALTER COLUMN version TYPE bigint;
ALTER TABLE guest_list ALTER COLUMN position TYPE bigint;
ALTER TABLE notifications ALTER COLUMN template_version TYPE bigint;
ALTER TABLE notifications ALTER COLUMN provider_attempts TYPE bigint;
ALTER TABLE callback_events ALTER COLUMN attempts TYPE bigint;
ALTER TABLE callback_events ALTER COLUMN last_status_code TYPE bigint;
ALTER TABLE callback_events ALTER COLUMN last_duration_ms TYPE bigint;
ALTER TABLE callback_attempts ALTER COLUMN status_code TYPE bigint;
ALTER TABLE callback_attempts ALTER COLUMN duration_ms TYPE bigint;
ALTER TABLE service_data_retention ALTER COLUMN days_of_retention TYPE bigint;
ALTER TABLE letter_pdfs ALTER COLUMN page_count TYPE bigint;
ALTER TABLE letter_pdfs ALTER COLUMN check_attempts TYPE bigint;
ALTER TABLE verify_codes ALTER COLUMN tries TYPE bigint;
