-- Precompiled letters and letter PDFs (issue 11).
--
-- A precompiled letter is sent from a hidden per-service template, as in
-- Notify ("Pre-compiled PDF"): hidden templates are never listed.
ALTER TABLE templates ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1));

-- The PDF a service sent, kept with its letter (deleted with it by the
-- retention job through the cascade). The letter waits in
-- `pending-virus-check` until the checker has read the file: then
-- `checked_at` is set, with Notify's reason when it was refused
-- (`letter-too-long`, `letter-not-a4-portrait-oriented`,
-- `unable-to-read-the-file`) and the pages at fault.
CREATE TABLE letter_pdfs (
    notification_id  TEXT PRIMARY KEY NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    service_id       TEXT NOT NULL,
    pdf              BLOB NOT NULL,
    page_count       INTEGER,
    invalid_reason   TEXT,
    invalid_pages    TEXT,
    created_at       TEXT NOT NULL,
    checked_at       TEXT
);
-- The checker's queue: only letters not yet checked, so finding them costs
-- nothing however many letters are kept.
CREATE INDEX letter_pdfs_unchecked ON letter_pdfs (created_at) WHERE checked_at IS NULL;
