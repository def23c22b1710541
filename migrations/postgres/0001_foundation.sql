-- Foundation: accounts, panel users, API keys, projects, audit trail, sessions, login throttling.
-- Times are unix milliseconds (BIGINT); ids are 64-bit integers.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id    TEXT    NOT NULL UNIQUE,
    name         TEXT    NOT NULL,
    webhook_url  TEXT,
    suspended_at BIGINT,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX accounts_name ON accounts (name);

CREATE TABLE panel_users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('csm', 'support', 'client')),
    account_id    BIGINT  REFERENCES accounts (id),
    disabled_at   BIGINT,
    created_at    BIGINT  NOT NULL,
    last_login_at BIGINT,
    CHECK ((role = 'client') = (account_id IS NOT NULL))
);
CREATE INDEX panel_users_account ON panel_users (account_id);

CREATE TABLE api_keys (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   BIGINT  NOT NULL REFERENCES accounts (id),
    label        TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    created_by   BIGINT  REFERENCES panel_users (id),
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE projects (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT  NOT NULL REFERENCES accounts (id),
    name        TEXT    NOT NULL,
    webhook_url TEXT,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX projects_account ON projects (account_id);

CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT  REFERENCES accounts (id),
    actor_id    BIGINT  REFERENCES panel_users (id),
    actor_email TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    at          BIGINT  NOT NULL
);
CREATE INDEX audit_events_account ON audit_events (account_id, at);

CREATE TABLE login_failures (
    id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT    NOT NULL,
    ip    TEXT    NOT NULL,
    at    BIGINT  NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

CREATE TABLE sessions (
    id          TEXT    PRIMARY KEY,
    data        TEXT    NOT NULL,
    expiry_date BIGINT  NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry_date);
