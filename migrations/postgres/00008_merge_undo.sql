-- +goose Up
-- Merges that can be explained and undone: what a merge moved (identity
-- keys, order and timeline event ids, consent rows) and the survivor's
-- profile before and after, as a JSON document; who merged and who undid.
-- Merges recorded before this migration have detail '{}': they cannot be
-- undone automatically.
ALTER TABLE customer_merges ADD COLUMN detail JSONB NOT NULL DEFAULT '{}';
ALTER TABLE customer_merges ADD COLUMN merged_by BIGINT;  -- users.id, NULL for imports and the command line
ALTER TABLE customer_merges ADD COLUMN undone_at BIGINT;
ALTER TABLE customer_merges ADD COLUMN undone_by BIGINT;
CREATE INDEX customer_merges_survivor ON customer_merges (shop_id, survivor_id);
CREATE INDEX customer_merges_merged ON customer_merges (shop_id, merged_id);

-- Pairs of customers a person said are not the same: duplicate detection
-- does not offer them again. customer_a < customer_b.
CREATE TABLE customer_duplicate_dismissals (
    shop_id      BIGINT NOT NULL,
    customer_a   BIGINT NOT NULL,
    customer_b   BIGINT NOT NULL,
    dismissed_by BIGINT, -- users.id, NULL from the command line
    dismissed_at BIGINT NOT NULL,
    PRIMARY KEY (shop_id, customer_a, customer_b),
    FOREIGN KEY (shop_id, customer_a) REFERENCES customers (shop_id, id) ON DELETE CASCADE,
    FOREIGN KEY (shop_id, customer_b) REFERENCES customers (shop_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE customer_duplicate_dismissals;
DROP INDEX customer_merges_merged;
DROP INDEX customer_merges_survivor;
ALTER TABLE customer_merges DROP COLUMN undone_by;
ALTER TABLE customer_merges DROP COLUMN undone_at;
ALTER TABLE customer_merges DROP COLUMN merged_by;
ALTER TABLE customer_merges DROP COLUMN detail;
