DROP TRIGGER IF EXISTS order_rollups_insert
-- statement --
DROP TRIGGER IF EXISTS order_rollups_delete
-- statement --
DROP TRIGGER IF EXISTS order_rollups_update
-- statement --
DROP TABLE order_rollups
