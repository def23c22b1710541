-- Version 4 of SQLite adds a trigger that writes every email's first event. Here the enqueue statement
-- inserts the emails and their first events together, so this version changes nothing.
SELECT 1;
