-- +goose Up
-- Shop-level analyses each `guanxi score` run stores beside the customers'
-- scores (issue 3): clusters, product affinity with a next product per
-- customer, cohorts and repeat rate; and the job table the scheduler in
-- `guanxi serve` keeps (DESIGN.md: jobs persisted, progress visible).
ALTER TABLE customer_scores ADD COLUMN cluster BIGINT;                  -- k-means cluster (score_clusters), NULL when not clustered
ALTER TABLE customer_scores ADD COLUMN next_product_id BIGINT;          -- suggested next product, NULL when none
ALTER TABLE customer_scores ADD COLUMN next_product_rule BIGINT;        -- product_rules.rule_no behind it, NULL when by popularity
ALTER TABLE customer_scores ADD COLUMN next_product_confidence DOUBLE PRECISION;     -- the rule's confidence, or the product's share of orders

ALTER TABLE score_runs ADD COLUMN repeat_rate DOUBLE PRECISION NOT NULL DEFAULT 0;   -- customers with purchases on 2+ days / customers
ALTER TABLE score_runs ADD COLUMN clusters BIGINT  NOT NULL DEFAULT 0;   -- k chosen by silhouette, 0 when not clustered
ALTER TABLE score_runs ADD COLUMN silhouette DOUBLE PRECISION;
ALTER TABLE score_runs ADD COLUMN baskets BIGINT  NOT NULL DEFAULT 0;    -- purchase orders with products, mined for rules
ALTER TABLE score_runs ADD COLUMN pareto TEXT NOT NULL DEFAULT '[]';     -- JSON [[customer share, revenue share], …], 20 steps
ALTER TABLE score_runs ADD COLUMN seconds DOUBLE PRECISION NOT NULL DEFAULT 0;

CREATE TABLE score_clusters (
    shop_id      BIGINT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    cluster      BIGINT  NOT NULL, -- 0 has the highest mean spend
    customers    BIGINT  NOT NULL,
    recency_days DOUBLE PRECISION    NOT NULL, -- centre: mean recency, frequency and net spend (major units)
    frequency    DOUBLE PRECISION    NOT NULL,
    monetary     DOUBLE PRECISION    NOT NULL,
    label_zh     TEXT    NOT NULL, -- e.g. 近期购买、高频、高消费
    label_en     TEXT    NOT NULL, -- e.g. recent, frequent, high spend
    PRIMARY KEY (shop_id, cluster)
);

-- Monthly acquisition cohorts × months since: customers active and their
-- net spend. month_offset 0 is the cohort's first month.
CREATE TABLE shop_cohorts (
    shop_id      BIGINT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    cohort       TEXT    NOT NULL, -- YYYY-MM of the first purchase
    month_offset BIGINT  NOT NULL,
    size         BIGINT  NOT NULL, -- customers of the cohort
    active       BIGINT  NOT NULL, -- of them, with a purchase in the month
    revenue      BIGINT  NOT NULL, -- their net spend in the month, minor units
    PRIMARY KEY (shop_id, cohort, month_offset)
);

-- Association rules over order baskets: an order holding every product of
-- the antecedent also holds the consequent.
CREATE TABLE product_rules (
    shop_id     BIGINT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    rule_no     BIGINT  NOT NULL, -- 1 = strongest (lift, then confidence, then count)
    antecedent  TEXT    NOT NULL, -- product ids, ascending, comma-separated
    consequent  BIGINT  NOT NULL,
    baskets     BIGINT  NOT NULL, -- orders holding antecedent and consequent
    support     DOUBLE PRECISION    NOT NULL,
    confidence  DOUBLE PRECISION    NOT NULL,
    lift        DOUBLE PRECISION    NOT NULL,
    PRIMARY KEY (shop_id, rule_no),
    FOREIGN KEY (shop_id, consequent) REFERENCES products (shop_id, id) ON DELETE CASCADE
);

-- A shop's own scoring settings; NULL means the default (lifecycle
-- thresholds derived from the shop's data, 1% discount a month).
CREATE TABLE score_settings (
    shop_id             BIGINT NOT NULL PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    new_days            BIGINT,
    dormant_days        BIGINT,
    churned_days        BIGINT,
    loyal_purchase_days BIGINT,
    monthly_discount    DOUBLE PRECISION,
    updated_at          BIGINT NOT NULL
);

CREATE TABLE jobs (
    shop_id     BIGINT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id          BIGINT  NOT NULL,
    kind        TEXT    NOT NULL, -- score
    source      TEXT    NOT NULL, -- schedule, manual
    status      TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    due_at      BIGINT  NOT NULL,
    started_at  BIGINT,
    finished_at BIGINT,
    progress    DOUBLE PRECISION    NOT NULL DEFAULT 0, -- 0..1
    stage       TEXT    NOT NULL DEFAULT '', -- what it is doing now
    result      TEXT    NOT NULL DEFAULT '', -- one-line summary when done
    error       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (shop_id, id)
);
CREATE INDEX jobs_status ON jobs (status, due_at);

-- +goose Down
DROP TABLE jobs;
DROP TABLE score_settings;
DROP TABLE product_rules;
DROP TABLE shop_cohorts;
DROP TABLE score_clusters;
ALTER TABLE score_runs DROP COLUMN seconds;
ALTER TABLE score_runs DROP COLUMN pareto;
ALTER TABLE score_runs DROP COLUMN baskets;
ALTER TABLE score_runs DROP COLUMN silhouette;
ALTER TABLE score_runs DROP COLUMN clusters;
ALTER TABLE score_runs DROP COLUMN repeat_rate;
ALTER TABLE customer_scores DROP COLUMN next_product_confidence;
ALTER TABLE customer_scores DROP COLUMN next_product_rule;
ALTER TABLE customer_scores DROP COLUMN next_product_id;
ALTER TABLE customer_scores DROP COLUMN cluster;
