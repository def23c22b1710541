-- Marketing campaigns: a CSV of users uploaded to a project, imported in the background (users created
-- or updated, one email of the campaign's type per user), then sent through the same queue as every
-- email, behind trigger and system emails.

-- A campaign and its import's progress. The uploaded file stays under the upload folder (`file_name`)
-- until the campaign ends; `next_offset`/`next_line` are where the import resumes (the byte offset and
-- line of the first row not yet committed), written in the same transaction as the rows before them.
CREATE TABLE campaigns (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id         BIGINT  NOT NULL REFERENCES projects (id),
    type_id            BIGINT  NOT NULL REFERENCES email_types (id),
    name               TEXT    NOT NULL,
    -- draft, scheduled, importing, sending, paused, cancelled, done, failed
    state              TEXT    NOT NULL,
    -- The state a paused campaign resumes to.
    paused_from        TEXT,
    file_name          TEXT    NOT NULL,
    original_name      TEXT    NOT NULL,
    file_bytes         BIGINT  NOT NULL,
    delimiter          TEXT    NOT NULL,
    -- JSON array of the header's column names, and of what each column is for (`email`, a parameter's
    -- name, `data:<key>` or `` for ignored).
    header             TEXT    NOT NULL,
    mapping            TEXT    NOT NULL,
    total_rows         BIGINT  NOT NULL,
    starts_at          BIGINT,
    next_offset        BIGINT  NOT NULL,
    next_line          BIGINT  NOT NULL,
    rows_read          BIGINT  NOT NULL DEFAULT 0,
    users_created      BIGINT  NOT NULL DEFAULT 0,
    users_updated      BIGINT  NOT NULL DEFAULT 0,
    rows_rejected      BIGINT  NOT NULL DEFAULT 0,
    rows_corrected     BIGINT  NOT NULL DEFAULT 0,
    rows_duplicate     BIGINT  NOT NULL DEFAULT 0,
    emails_queued      BIGINT  NOT NULL DEFAULT 0,
    emails_suppressed  BIGINT  NOT NULL DEFAULT 0,
    lease_until        BIGINT,
    error              TEXT,
    created_by         TEXT    NOT NULL,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    import_started_at  BIGINT,
    import_finished_at BIGINT,
    finished_at        BIGINT
);
CREATE INDEX campaigns_project ON campaigns (project_id, id);
CREATE INDEX campaigns_active ON campaigns (state) WHERE state IN ('scheduled', 'importing', 'sending');

-- What the import says about single rows: `rejected` (with the row as read, for the rejects file),
-- `corrected` (the address was normalized) and `duplicate` (a later row of the same address won).
CREATE TABLE campaign_rows (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id BIGINT  NOT NULL REFERENCES campaigns (id),
    line        BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    email       TEXT,
    detail      TEXT    NOT NULL,
    record      TEXT
);
CREATE INDEX campaign_rows_campaign ON campaign_rows (campaign_id, kind, id);

-- A campaign's emails: one per user (the import's resume and the file's duplicates rely on it), and
-- counted by status for its page. Trigger and system emails have no campaign and are in neither index.
ALTER TABLE emails ADD COLUMN campaign_id BIGINT  REFERENCES campaigns (id);
CREATE UNIQUE INDEX emails_campaign_user ON emails (campaign_id, user_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX emails_campaign_status ON emails (campaign_id, status) WHERE campaign_id IS NOT NULL;

-- Queue priorities: 0 system and trigger emails, 1 campaigns. Workers claim the due emails of priority
-- 0 first, each priority a range of this index (a paused campaign's emails wait far in the future).
ALTER TABLE emails ADD COLUMN priority BIGINT  NOT NULL DEFAULT 0;
DROP INDEX emails_due;
CREATE INDEX emails_due ON emails (priority, next_attempt_at) WHERE status IN ('queued', 'deferred');
