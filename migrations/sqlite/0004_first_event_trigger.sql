-- Every email's first event is its initial status (queued or suppressed), written with the email itself.
-- (PostgreSQL's enqueue statement inserts both in one statement; SQLite has no data-modifying CTEs, and a
-- trigger spares the enqueue a second statement that would look every new email up again.)
CREATE TRIGGER emails_first_event AFTER INSERT ON emails
BEGIN
    INSERT INTO email_events (email_id, status, at) VALUES (new.id, new.status, new.created_at);
END;
