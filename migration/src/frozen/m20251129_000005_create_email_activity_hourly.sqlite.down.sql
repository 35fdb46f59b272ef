DROP TRIGGER IF EXISTS email_activity_hourly_insert
-- statement --
DROP TRIGGER IF EXISTS email_activity_hourly_delete
-- statement --
DROP TRIGGER IF EXISTS email_activity_hourly_update
-- statement --
DROP TABLE email_activity_hourly
