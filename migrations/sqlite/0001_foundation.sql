-- Foundation: accounts, panel users, API keys, projects, audit trail, sessions, login throttling.
-- Times are unix milliseconds (INTEGER); ids are 64-bit integers.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id    TEXT    NOT NULL UNIQUE,
    name         TEXT    NOT NULL,
    webhook_url  TEXT,
    suspended_at INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX accounts_name ON accounts (name);

CREATE TABLE panel_users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('csm', 'support', 'client')),
    account_id    INTEGER REFERENCES accounts (id),
    disabled_at   INTEGER,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER,
    CHECK ((role = 'client') = (account_id IS NOT NULL))
);
CREATE INDEX panel_users_account ON panel_users (account_id);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    label        TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    created_by   INTEGER REFERENCES panel_users (id),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    name        TEXT    NOT NULL,
    webhook_url TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX projects_account ON projects (account_id);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER REFERENCES accounts (id),
    actor_id    INTEGER REFERENCES panel_users (id),
    actor_email TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX audit_events_account ON audit_events (account_id, at);

CREATE TABLE login_failures (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT    NOT NULL,
    ip    TEXT    NOT NULL,
    at    INTEGER NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

CREATE TABLE sessions (
    id          TEXT    PRIMARY KEY,
    data        TEXT    NOT NULL,
    expiry_date INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry_date);
