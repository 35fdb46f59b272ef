DROP TRIGGER IF EXISTS email_activity_all_insert ON email_sends
-- statement --
DROP TRIGGER IF EXISTS email_activity_all_delete ON email_sends
-- statement --
DROP TRIGGER IF EXISTS email_activity_all_update ON email_sends
-- statement --
DROP FUNCTION IF EXISTS email_activity_all_apply()
-- statement --
DROP TABLE email_activity_all
