DROP TRIGGER IF EXISTS email_activity_daily_insert
-- statement --
DROP TRIGGER IF EXISTS email_activity_daily_delete
-- statement --
DROP TRIGGER IF EXISTS email_activity_daily_update
-- statement --
DROP TABLE email_activity_daily
