-- User profiles and the Users list: search by email prefix (across the projects a viewer may read), by
-- client_user_id, and the list of one project newest first. Each index is kept up by every new user (a
-- user's first send) and, for client_user_id, by a change of it; sends to existing users pay nothing.
-- The prefix search compares bytes (COLLATE "C"), so that a range of the index is exactly a prefix
-- whatever the database's collation.
CREATE INDEX users_email ON users ((email COLLATE "C"), id);
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
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    field   TEXT   NOT NULL,
    old     TEXT,
    new     TEXT,
    source  TEXT,
    at      BIGINT NOT NULL
);
CREATE INDEX user_changes_user ON user_changes (user_id, id);

CREATE FUNCTION record_user_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_changes (user_id, field, old, new, source, at)
        SELECT NEW.id, f.field, f.old, f.new, NEW.change_source, NEW.updated_at
        FROM (VALUES
            ('name', OLD.name::text, NEW.name::text, OLD.name IS DISTINCT FROM NEW.name),
            ('gender', OLD.gender::text, NEW.gender::text, OLD.gender IS DISTINCT FROM NEW.gender),
            ('platform_id', OLD.platform_id::text, NEW.platform_id::text, OLD.platform_id IS DISTINCT FROM NEW.platform_id),
            ('country_id', OLD.country_id::text, NEW.country_id::text, OLD.country_id IS DISTINCT FROM NEW.country_id),
            ('list_id', OLD.list_id::text, NEW.list_id::text, OLD.list_id IS DISTINCT FROM NEW.list_id),
            ('client_user_id', OLD.client_user_id::text, NEW.client_user_id::text, OLD.client_user_id IS DISTINCT FROM NEW.client_user_id),
            ('ak', NULL, NULL, OLD.ak IS DISTINCT FROM NEW.ak),
            ('age', OLD.age::text, NEW.age::text, OLD.age IS DISTINCT FROM NEW.age),
            ('photo', OLD.photo::text, NEW.photo::text, OLD.photo IS DISTINCT FROM NEW.photo),
            ('language_id', OLD.language_id::text, NEW.language_id::text, OLD.language_id IS DISTINCT FROM NEW.language_id),
            ('subscribed', OLD.subscribed::text, NEW.subscribed::text, OLD.subscribed IS DISTINCT FROM NEW.subscribed),
            ('suppressed_reason', OLD.suppressed_reason::text, NEW.suppressed_reason::text, OLD.suppressed_reason IS DISTINCT FROM NEW.suppressed_reason)
        ) AS f (field, old, new, changed)
        WHERE f.changed;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_changed AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION record_user_changes();

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
