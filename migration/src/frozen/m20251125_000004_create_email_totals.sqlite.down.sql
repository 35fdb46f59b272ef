DROP TRIGGER IF EXISTS email_totals_insert
-- statement --
DROP TRIGGER IF EXISTS email_totals_delete
-- statement --
DROP TRIGGER IF EXISTS email_totals_update
-- statement --
DROP TABLE email_totals
