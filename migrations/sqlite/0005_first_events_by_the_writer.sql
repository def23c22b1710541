-- The send writer inserts each batch's first events with one statement after the batch's emails (see
-- src/db/sqlite_sends.rs): the trigger ran a sub-program per email. Emails are inserted by the send writer
-- only.
DROP TRIGGER emails_first_event;
