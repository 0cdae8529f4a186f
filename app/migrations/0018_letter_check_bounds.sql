-- Bounds on precompiled letters (issue 25).
--
-- How many times a check of the letter's file has begun. It is counted
-- before the check starts, so a check that never finished (its child
-- process killed by its limits, or the server stopped under it) still
-- counts; a letter whose check has begun twice without a result is refused
-- instead of being tried forever.
ALTER TABLE letter_pdfs ADD COLUMN check_attempts INTEGER NOT NULL DEFAULT 0;
-- The file's size, and whether a test key sent it: each service may store
-- so many bytes of files a day (test keys far fewer), summed by the index
-- below without reading a file.
ALTER TABLE letter_pdfs ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE letter_pdfs ADD COLUMN test_key INTEGER NOT NULL DEFAULT 0 CHECK (test_key IN (0, 1));
UPDATE letter_pdfs SET size = length(pdf),
    test_key = coalesce((SELECT n.key_type = 'test' FROM notifications n WHERE n.id = letter_pdfs.notification_id), 0);
CREATE INDEX letter_pdfs_daily_bytes ON letter_pdfs (service_id, test_key, created_at, size);
