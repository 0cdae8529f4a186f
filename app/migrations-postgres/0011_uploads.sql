-- As the SQLite store's 0031: uploaded lists of recipients (issue 23).
CREATE TABLE uploads (
    id           uuid PRIMARY KEY,
    service_id   uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    template_id  uuid NOT NULL,
    file_name    text NOT NULL,
    delimiter    text NOT NULL,
    content      text NOT NULL,
    created_by   uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL
);
CREATE INDEX uploads_service ON uploads (service_id, created_at);
