DROP TRIGGER IF EXISTS email_activity_insert
-- statement --
DROP TRIGGER IF EXISTS email_activity_delete
-- statement --
DROP TRIGGER IF EXISTS email_activity_update
-- statement --
DROP TABLE email_activity
