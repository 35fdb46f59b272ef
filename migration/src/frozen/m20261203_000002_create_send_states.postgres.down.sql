DROP TRIGGER IF EXISTS send_states_insert ON email_sends
-- statement --
DROP TRIGGER IF EXISTS send_states_delete ON email_sends
-- statement --
DROP TRIGGER IF EXISTS send_states_update ON email_sends
-- statement --
DROP FUNCTION IF EXISTS send_states_apply()
-- statement --
DROP TABLE send_states