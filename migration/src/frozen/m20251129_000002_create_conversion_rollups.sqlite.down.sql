DROP TRIGGER IF EXISTS conversion_rollups_insert
-- statement --
DROP TRIGGER IF EXISTS conversion_rollups_delete
-- statement --
DROP TRIGGER IF EXISTS conversion_rollups_update
-- statement --
DROP TABLE conversion_rollups
