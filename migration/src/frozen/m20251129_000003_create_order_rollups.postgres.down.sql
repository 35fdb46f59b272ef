DROP TRIGGER IF EXISTS order_rollups_insert ON ecommerce_orders
-- statement --
DROP TRIGGER IF EXISTS order_rollups_delete ON ecommerce_orders
-- statement --
DROP TRIGGER IF EXISTS order_rollups_update ON ecommerce_orders
-- statement --
DROP FUNCTION IF EXISTS order_rollups_apply()
-- statement --
DROP TABLE order_rollups
