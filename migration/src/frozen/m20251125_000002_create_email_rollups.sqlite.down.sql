DROP TRIGGER IF EXISTS email_rollups_insert
-- statement --
DROP TRIGGER IF EXISTS email_rollups_delete
-- statement --
DROP TRIGGER IF EXISTS email_rollups_update
-- statement --
DROP TABLE email_rollups
