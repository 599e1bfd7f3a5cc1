-- +goose Up
-- Saved dynamic segments (issue 5 §1): a rule in the JSON format of
-- internal/segment, evaluated against live customers whenever it is read.
CREATE TABLE segments (
    shop_id    INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id         INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    rule       TEXT    NOT NULL, -- JSON rule, validated by internal/segment
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER,          -- users.id, NULL when made from the command line
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, name)
) WITHOUT ROWID;

-- How many customers each segment held, one row per day the nightly job ran.
CREATE TABLE segment_sizes (
    shop_id    INTEGER NOT NULL,
    segment_id INTEGER NOT NULL,
    day        INTEGER NOT NULL, -- yyyymmdd in shop time
    customers  INTEGER NOT NULL,
    PRIMARY KEY (shop_id, segment_id, day),
    FOREIGN KEY (shop_id, segment_id) REFERENCES segments (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- +goose Down
DROP TABLE segment_sizes;
DROP TABLE segments;
