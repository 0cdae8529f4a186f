-- "Upload a list of recipients" (issue 23): the file as text (decoded from
-- UTF-8 or the common Windows encoding), kept for its check page and, next,
-- the job that sends it. Deleted with its service.
CREATE TABLE uploads (
    id           TEXT PRIMARY KEY NOT NULL,
    service_id   TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    template_id  TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    -- ',' for .csv, a tab for .tsv.
    delimiter    TEXT NOT NULL,
    content      TEXT NOT NULL,
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL
);
CREATE INDEX uploads_service ON uploads (service_id, created_at);
