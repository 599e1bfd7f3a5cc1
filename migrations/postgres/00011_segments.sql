-- +goose Up
-- Saved dynamic segments (issue 5 §1): a rule in the JSON format of
-- internal/segment, evaluated against live customers whenever it is read.
CREATE TABLE segments (
    shop_id    BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id         BIGINT  NOT NULL,
    name       TEXT    NOT NULL,
    rule       JSONB   NOT NULL, -- JSON rule, validated by internal/segment
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    created_by BIGINT,           -- users.id, NULL when made from the command line
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, name)
);

-- How many customers each segment held, one row per day the nightly job ran.
CREATE TABLE segment_sizes (
    shop_id    BIGINT  NOT NULL,
    segment_id BIGINT  NOT NULL,
    day        BIGINT  NOT NULL, -- yyyymmdd in shop time
    customers  BIGINT  NOT NULL,
    PRIMARY KEY (shop_id, segment_id, day),
    FOREIGN KEY (shop_id, segment_id) REFERENCES segments (shop_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE segment_sizes;
DROP TABLE segments;
