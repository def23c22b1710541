-- Delivery: the sender of a project, the queue's bookkeeping of interrupted attempts, and the captured
-- outbox (the transport used when no SMTP relay is configured).

ALTER TABLE projects ADD COLUMN sender_email TEXT;
ALTER TABLE projects ADD COLUMN sender_name TEXT;

-- A user the project no longer sends to because of a hard bounce or a complaint (unsubscribing is
-- `subscribed = 0`). Lifting a suppression clears both.
ALTER TABLE users ADD COLUMN suppressed_reason TEXT;
ALTER TABLE users ADD COLUMN suppressed_at INTEGER;
CREATE INDEX users_suppressed ON users (project_id) WHERE subscribed = 0 OR suppressed_reason IS NOT NULL;

-- 1 when the last claim found the previous attempt's lease expired without an outcome.
ALTER TABLE emails ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
-- The due emails, for the workers' claim.
DROP INDEX emails_queue;
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status IN ('queued', 'deferred');

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    email_id    INTEGER NOT NULL UNIQUE REFERENCES emails (id),
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    sender      TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    raw         TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX outbox_project ON outbox (project_id, id);
