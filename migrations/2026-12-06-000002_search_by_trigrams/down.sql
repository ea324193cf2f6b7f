DROP INDEX events_location_trgm_idx;
DROP INDEX events_name_trgm_idx;
DROP EXTENSION IF EXISTS pg_trgm;
