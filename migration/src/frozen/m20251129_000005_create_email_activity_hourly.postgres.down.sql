DROP TRIGGER IF EXISTS email_activity_hourly_insert ON email_sends
-- statement --
DROP TRIGGER IF EXISTS email_activity_hourly_delete ON email_sends
-- statement --
DROP TRIGGER IF EXISTS email_activity_hourly_update ON email_sends
-- statement --
DROP FUNCTION IF EXISTS email_activity_hourly_apply()
-- statement --
DROP TABLE email_activity_hourly
