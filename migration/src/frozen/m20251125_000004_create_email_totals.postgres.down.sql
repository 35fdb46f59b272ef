DROP TRIGGER IF EXISTS email_totals_insert ON email_sends
-- statement --
DROP TRIGGER IF EXISTS email_totals_delete ON email_sends
-- statement --
DROP TRIGGER IF EXISTS email_totals_update ON email_sends
-- statement --
DROP FUNCTION IF EXISTS email_totals_apply()
-- statement --
DROP TABLE email_totals
