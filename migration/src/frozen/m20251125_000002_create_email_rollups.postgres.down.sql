DROP TRIGGER IF EXISTS email_rollups_insert ON email_sends
-- statement --
DROP TRIGGER IF EXISTS email_rollups_delete ON email_sends
-- statement --
DROP TRIGGER IF EXISTS email_rollups_update ON email_sends
-- statement --
DROP FUNCTION IF EXISTS email_rollups_apply()
-- statement --
DROP TABLE email_rollups
