DROP TRIGGER IF EXISTS email_activity_daily_insert ON email_sends
-- statement --
DROP TRIGGER IF EXISTS email_activity_daily_delete ON email_sends
-- statement --
DROP TRIGGER IF EXISTS email_activity_daily_update ON email_sends
-- statement --
DROP FUNCTION IF EXISTS email_activity_daily_apply()
-- statement --
DROP TABLE email_activity_daily
