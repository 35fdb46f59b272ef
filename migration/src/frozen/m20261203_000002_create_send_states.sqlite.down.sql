DROP TRIGGER IF EXISTS send_states_insert
-- statement --
DROP TRIGGER IF EXISTS send_states_delete
-- statement --
DROP TRIGGER IF EXISTS send_states_update
-- statement --
DROP TABLE send_states