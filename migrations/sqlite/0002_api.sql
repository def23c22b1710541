-- The /v1 API: email types (templates) of a project, users of a project, emails with their status
-- events (the durable send queue), and idempotency records of POST requests.

CREATE TABLE email_types (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id),
    name       TEXT    NOT NULL,
    category   TEXT    NOT NULL CHECK (category IN ('system', 'trigger')),
    subject    TEXT    NOT NULL,
    html_body  TEXT    NOT NULL,
    text_body  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX email_types_project ON email_types (project_id);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id     INTEGER NOT NULL REFERENCES projects (id),
    email          TEXT    NOT NULL,
    name           TEXT,
    gender         TEXT,
    platform_id    INTEGER,
    country_id     TEXT,
    list_id        INTEGER,
    client_user_id TEXT,
    ak             TEXT,
    age            INTEGER,
    photo          TEXT,
    language_id    TEXT,
    subscribed     INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (project_id, email)
);

CREATE TABLE emails (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      TEXT    NOT NULL UNIQUE,
    project_id      INTEGER NOT NULL REFERENCES projects (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    type_id         INTEGER NOT NULL REFERENCES email_types (id),
    category        TEXT    NOT NULL,
    data            TEXT    NOT NULL,
    meta            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    lease_until     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX emails_user ON emails (user_id, id);
CREATE INDEX emails_queue ON emails (status, next_attempt_at);

CREATE TABLE email_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    email_id INTEGER NOT NULL REFERENCES emails (id),
    status   TEXT    NOT NULL,
    detail   TEXT,
    at       INTEGER NOT NULL
);
CREATE INDEX email_events_email ON email_events (email_id, id);

-- A POST with an Idempotency-Key: a repeat within 24 h with the same body replays the first answer.
CREATE TABLE idempotency_keys (
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    message_id   TEXT    NOT NULL,
    user_created INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
