-- +goose Up
-- Each customer's latest scores, replaced whole by every `guanxi score` run
-- of the shop. Model columns are NULL when the shop's history was not enough
-- to fit the model (score_runs.note says why).
CREATE TABLE customer_scores (
    shop_id        INTEGER NOT NULL,
    customer_id    INTEGER NOT NULL,
    as_of          TEXT    NOT NULL, -- YYYY-MM-DD in shop time
    recency_days   INTEGER NOT NULL,
    frequency      INTEGER NOT NULL, -- purchase orders
    monetary       INTEGER NOT NULL, -- net spend, minor units
    r              INTEGER NOT NULL, -- 1-5, DESIGN.md's rank quintiles
    f              INTEGER NOT NULL,
    m              INTEGER NOT NULL,
    segment_cn     TEXT    NOT NULL, -- Chinese 8-class RFM model, e.g. 重要价值客户
    segment        TEXT    NOT NULL, -- 11-segment map, e.g. Champions
    lifecycle      TEXT    NOT NULL, -- new, active, dormant, churned, loyal
    tier           TEXT    NOT NULL, -- key, ordinary, small (Pareto value tier)
    churn_risk     TEXT    NOT NULL, -- low, medium, high
    churn_reason   TEXT    NOT NULL, -- one line a person understands, zh-CN
    churn_reason_en TEXT   NOT NULL,
    p_alive        REAL,             -- BG/NBD probability the customer is still a customer
    expected_30d   REAL,             -- expected purchase days in the next 30/90/365 days
    expected_90d   REAL,
    expected_365d  REAL,
    expected_spend REAL,             -- Gamma-Gamma expected spend per purchase day, major units
    clv_12m        REAL,             -- discounted 12-month lifetime value, major units
    computed_at    INTEGER NOT NULL,
    PRIMARY KEY (shop_id, customer_id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE score_runs (
    shop_id     INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    as_of       TEXT    NOT NULL,
    customers   INTEGER NOT NULL,
    model       TEXT    NOT NULL, -- bgnbd, or '' when not fitted
    params      TEXT    NOT NULL, -- JSON object of fitted parameters
    note        TEXT    NOT NULL, -- why the model was not fitted, if it was not
    rules       TEXT    NOT NULL, -- the lifecycle thresholds used and where they came from
    finished_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE score_runs;
DROP TABLE customer_scores;
