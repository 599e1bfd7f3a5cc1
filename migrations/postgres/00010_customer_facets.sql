-- +goose Up
-- The customer list's filter counts (issue 4) read these small indexes
-- instead of every customer row: live customers by province, and the few
-- live customers with tags.
-- merged_into is in the key too, so SQLite reads the index alone.
CREATE INDEX customers_live_province ON customers (shop_id, province, merged_into) WHERE merged_into IS NULL;
CREATE INDEX customers_tagged ON customers (shop_id) WHERE merged_into IS NULL AND tags <> '[]';

-- +goose Down
DROP INDEX customers_tagged;
DROP INDEX customers_live_province;
