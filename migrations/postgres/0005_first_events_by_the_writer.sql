-- Version 5 of SQLite drops the trigger of version 4 (its send writer inserts the first events itself).
-- PostgreSQL never had it, so this version changes nothing.
SELECT 1;
