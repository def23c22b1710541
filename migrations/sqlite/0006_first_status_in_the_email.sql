-- An email's first event — the status it was stored with (queued, or suppressed when its user takes no
-- emails) at the time it was stored — is kept in the email's own row, as first_status at created_at,
-- instead of a row of email_events: readers put it first in the email's events. The send writer then
-- writes two B-trees fewer per email (the events table and its index), and a commit of a batch of sends
-- two pages fewer to the WAL. email_events holds the changes after that.
ALTER TABLE emails ADD COLUMN first_status TEXT NOT NULL DEFAULT 'queued';
UPDATE emails SET first_status = 'suppressed' WHERE id IN (
    SELECT email_id FROM email_events
    WHERE status = 'suppressed' AND id IN (SELECT MIN(id) FROM email_events GROUP BY email_id));
DELETE FROM email_events WHERE id IN (SELECT MIN(id) FROM email_events GROUP BY email_id);
