DROP TRIGGER IF EXISTS email_activity_insert ON email_sends
-- statement --
DROP TRIGGER IF EXISTS email_activity_delete ON email_sends
-- statement --
DROP TRIGGER IF EXISTS email_activity_update ON email_sends
-- statement --
DROP FUNCTION IF EXISTS email_activity_apply()
-- statement --
DROP TABLE email_activity
