DROP TRIGGER IF EXISTS conversion_rollups_insert ON crm_conversions
-- statement --
DROP TRIGGER IF EXISTS conversion_rollups_delete ON crm_conversions
-- statement --
DROP TRIGGER IF EXISTS conversion_rollups_update ON crm_conversions
-- statement --
DROP FUNCTION IF EXISTS conversion_rollups_apply()
-- statement --
DROP TABLE conversion_rollups
