-- User profiles and the Users list: search by email prefix (across the projects a viewer may read), by
-- client_user_id, and the list of one project newest first. Each index is kept up by every new user (a
-- user's first send) and, for client_user_id, by a change of it; sends to existing users pay nothing.
CREATE INDEX users_email ON users (email, id);
CREATE INDEX users_client_user_id ON users (client_user_id) WHERE client_user_id IS NOT NULL;
CREATE INDEX users_project ON users (project_id, id);

-- The project page's suppressed recipients, in their order (latest first): a page reads its rows off
-- the index instead of sorting every suppressed user of the project (4.6 ms at 3,400 of them).
DROP INDEX users_suppressed;
CREATE INDEX users_suppressed ON users (project_id, COALESCE(suppressed_at, updated_at) DESC, id DESC)
    WHERE subscribed = 0 OR suppressed_reason IS NOT NULL;

-- A project's email activity, newest first. Every new email maintains it (one more index entry per
-- send); its status changes do not (the status is not in it).
CREATE INDEX emails_project ON emails (project_id, id);

-- Every change of a user's parameters or subscription, one row per field, written by a trigger in the
-- statement (and so the transaction) that changes the user, whatever path changed it (a send, PUT
-- /v1/users, the panel, delivery's suppression). Rows appear only for a value that really changed: a
-- send repeating the stored values updates nothing (its UPDATE matches no row) and records nothing. The
-- value of `ak` is not copied here (it is revealed only on the profile, audited).
-- `users.change_source` is set by every statement that changes a user (what changed it: `send`, `api`,
-- `panel: <who>`, `unsubscribe link`, `bounce report`, `complaint report`); the trigger copies it.
ALTER TABLE users ADD COLUMN change_source TEXT;
CREATE TABLE user_changes (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    field   TEXT    NOT NULL,
    old     TEXT,
    new     TEXT,
    source  TEXT,
    at      INTEGER NOT NULL
);
CREATE INDEX user_changes_user ON user_changes (user_id, id);

CREATE TRIGGER users_changed AFTER UPDATE ON users
BEGIN
    INSERT INTO user_changes (user_id, field, old, new, source, at)
        SELECT new.id, 'name', CAST(old.name AS TEXT), CAST(new.name AS TEXT), new.change_source, new.updated_at WHERE old.name IS NOT new.name
        UNION ALL SELECT new.id, 'gender', CAST(old.gender AS TEXT), CAST(new.gender AS TEXT), new.change_source, new.updated_at WHERE old.gender IS NOT new.gender
        UNION ALL SELECT new.id, 'platform_id', CAST(old.platform_id AS TEXT), CAST(new.platform_id AS TEXT), new.change_source, new.updated_at WHERE old.platform_id IS NOT new.platform_id
        UNION ALL SELECT new.id, 'country_id', CAST(old.country_id AS TEXT), CAST(new.country_id AS TEXT), new.change_source, new.updated_at WHERE old.country_id IS NOT new.country_id
        UNION ALL SELECT new.id, 'list_id', CAST(old.list_id AS TEXT), CAST(new.list_id AS TEXT), new.change_source, new.updated_at WHERE old.list_id IS NOT new.list_id
        UNION ALL SELECT new.id, 'client_user_id', CAST(old.client_user_id AS TEXT), CAST(new.client_user_id AS TEXT), new.change_source, new.updated_at WHERE old.client_user_id IS NOT new.client_user_id
        UNION ALL SELECT new.id, 'ak', NULL, NULL, new.change_source, new.updated_at WHERE old.ak IS NOT new.ak
        UNION ALL SELECT new.id, 'age', CAST(old.age AS TEXT), CAST(new.age AS TEXT), new.change_source, new.updated_at WHERE old.age IS NOT new.age
        UNION ALL SELECT new.id, 'photo', CAST(old.photo AS TEXT), CAST(new.photo AS TEXT), new.change_source, new.updated_at WHERE old.photo IS NOT new.photo
        UNION ALL SELECT new.id, 'language_id', CAST(old.language_id AS TEXT), CAST(new.language_id AS TEXT), new.change_source, new.updated_at WHERE old.language_id IS NOT new.language_id
        UNION ALL SELECT new.id, 'subscribed', CAST(old.subscribed AS TEXT), CAST(new.subscribed AS TEXT), new.change_source, new.updated_at WHERE old.subscribed IS NOT new.subscribed
        UNION ALL SELECT new.id, 'suppressed_reason', CAST(old.suppressed_reason AS TEXT), CAST(new.suppressed_reason AS TEXT), new.change_source, new.updated_at WHERE old.suppressed_reason IS NOT new.suppressed_reason;
END;

-- Emails by status per day and project, for the project page's chart: how many reached each status
-- that day (an email accepted on Monday and opened on Tuesday counts as queued on Monday and opened on
-- Tuesday). Kept by a periodic job (`jobs::rollup`) from the rows added since its cursors, so that the
-- send and delivery paths write nothing more and the chart reads 30 days × a few statuses.
CREATE TABLE email_daily (
    project_id BIGINT NOT NULL,
    day        BIGINT NOT NULL,
    status     TEXT   NOT NULL,
    count      BIGINT NOT NULL,
    PRIMARY KEY (project_id, day, status)
);
CREATE TABLE rollup_cursors (
    name    TEXT   PRIMARY KEY,
    last_id BIGINT NOT NULL
);
INSERT INTO rollup_cursors (name, last_id) VALUES ('emails', 0), ('email_events', 0);
