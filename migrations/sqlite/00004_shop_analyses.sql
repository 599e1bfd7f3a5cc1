-- +goose Up
-- Shop-level analyses each `guanxi score` run stores beside the customers'
-- scores (issue 3): clusters, product affinity with a next product per
-- customer, cohorts and repeat rate; and the job table the scheduler in
-- `guanxi serve` keeps (DESIGN.md: jobs persisted, progress visible).
ALTER TABLE customer_scores ADD COLUMN cluster INTEGER;                  -- k-means cluster (score_clusters), NULL when not clustered
ALTER TABLE customer_scores ADD COLUMN next_product_id INTEGER;          -- suggested next product, NULL when none
ALTER TABLE customer_scores ADD COLUMN next_product_rule INTEGER;        -- product_rules.rule_no behind it, NULL when by popularity
ALTER TABLE customer_scores ADD COLUMN next_product_confidence REAL;     -- the rule's confidence, or the product's share of orders

ALTER TABLE score_runs ADD COLUMN repeat_rate REAL NOT NULL DEFAULT 0;   -- customers with purchases on 2+ days / customers
ALTER TABLE score_runs ADD COLUMN clusters INTEGER NOT NULL DEFAULT 0;   -- k chosen by silhouette, 0 when not clustered
ALTER TABLE score_runs ADD COLUMN silhouette REAL;
ALTER TABLE score_runs ADD COLUMN baskets INTEGER NOT NULL DEFAULT 0;    -- purchase orders with products, mined for rules
ALTER TABLE score_runs ADD COLUMN pareto TEXT NOT NULL DEFAULT '[]';     -- JSON [[customer share, revenue share], …], 20 steps
ALTER TABLE score_runs ADD COLUMN seconds REAL NOT NULL DEFAULT 0;

CREATE TABLE score_clusters (
    shop_id      INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    cluster      INTEGER NOT NULL, -- 0 has the highest mean spend
    customers    INTEGER NOT NULL,
    recency_days REAL    NOT NULL, -- centre: mean recency, frequency and net spend (major units)
    frequency    REAL    NOT NULL,
    monetary     REAL    NOT NULL,
    label_zh     TEXT    NOT NULL, -- e.g. 近期购买、高频、高消费
    label_en     TEXT    NOT NULL, -- e.g. recent, frequent, high spend
    PRIMARY KEY (shop_id, cluster)
) WITHOUT ROWID;

-- Monthly acquisition cohorts × months since: customers active and their
-- net spend. month_offset 0 is the cohort's first month.
CREATE TABLE shop_cohorts (
    shop_id      INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    cohort       TEXT    NOT NULL, -- YYYY-MM of the first purchase
    month_offset INTEGER NOT NULL,
    size         INTEGER NOT NULL, -- customers of the cohort
    active       INTEGER NOT NULL, -- of them, with a purchase in the month
    revenue      INTEGER NOT NULL, -- their net spend in the month, minor units
    PRIMARY KEY (shop_id, cohort, month_offset)
) WITHOUT ROWID;

-- Association rules over order baskets: an order holding every product of
-- the antecedent also holds the consequent.
CREATE TABLE product_rules (
    shop_id     INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    rule_no     INTEGER NOT NULL, -- 1 = strongest (lift, then confidence, then count)
    antecedent  TEXT    NOT NULL, -- product ids, ascending, comma-separated
    consequent  INTEGER NOT NULL,
    baskets     INTEGER NOT NULL, -- orders holding antecedent and consequent
    support     REAL    NOT NULL,
    confidence  REAL    NOT NULL,
    lift        REAL    NOT NULL,
    PRIMARY KEY (shop_id, rule_no),
    FOREIGN KEY (shop_id, consequent) REFERENCES products (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- A shop's own scoring settings; NULL means the default (lifecycle
-- thresholds derived from the shop's data, 1% discount a month).
CREATE TABLE score_settings (
    shop_id             INTEGER NOT NULL PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    new_days            INTEGER,
    dormant_days        INTEGER,
    churned_days        INTEGER,
    loyal_purchase_days INTEGER,
    monthly_discount    REAL,
    updated_at          INTEGER NOT NULL
);

CREATE TABLE jobs (
    shop_id     INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    kind        TEXT    NOT NULL, -- score
    source      TEXT    NOT NULL, -- schedule, manual
    status      TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    due_at      INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER,
    progress    REAL    NOT NULL DEFAULT 0, -- 0..1
    stage       TEXT    NOT NULL DEFAULT '', -- what it is doing now
    result      TEXT    NOT NULL DEFAULT '', -- one-line summary when done
    error       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (shop_id, id)
) WITHOUT ROWID;
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
