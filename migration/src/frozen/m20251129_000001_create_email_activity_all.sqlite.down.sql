DROP TRIGGER IF EXISTS email_activity_all_insert
-- statement --
DROP TRIGGER IF EXISTS email_activity_all_delete
-- statement --
DROP TRIGGER IF EXISTS email_activity_all_update
-- statement --
DROP TABLE email_activity_all
