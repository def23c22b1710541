-- Every version of an email type's templates, written with each creation and change of the type, so
-- that an email whose copy was not kept (it went to the SMTP relay) can be shown re-rendered from the
-- templates in effect when it was created. Sends write nothing here. The types' current templates are
-- their first kept versions.
CREATE TABLE email_type_versions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    type_id    INTEGER NOT NULL REFERENCES email_types (id),
    subject    TEXT    NOT NULL,
    html_body  TEXT    NOT NULL,
    text_body  TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX email_type_versions_type ON email_type_versions (type_id, created_at);
INSERT INTO email_type_versions (type_id, subject, html_body, text_body, created_at)
    SELECT id, subject, html_body, text_body, updated_at FROM email_types;
