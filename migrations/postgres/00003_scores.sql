-- +goose Up
-- Each customer's latest scores, replaced whole by every `guanxi score` run
-- of the shop. Model columns are NULL when the shop's history was not enough
-- to fit the model (score_runs.note says why).
CREATE TABLE customer_scores (
    shop_id        BIGINT NOT NULL,
    customer_id    BIGINT NOT NULL,
    as_of          TEXT    NOT NULL, -- YYYY-MM-DD in shop time
    recency_days   BIGINT NOT NULL,
    frequency      BIGINT NOT NULL, -- purchase orders
    monetary       BIGINT NOT NULL, -- net spend, minor units
    r              BIGINT NOT NULL, -- 1-5, DESIGN.md's rank quintiles
    f              BIGINT NOT NULL,
    m              BIGINT NOT NULL,
    segment_cn     TEXT    NOT NULL, -- Chinese 8-class RFM model, e.g. 重要价值客户
    segment        TEXT    NOT NULL, -- 11-segment map, e.g. Champions
    lifecycle      TEXT    NOT NULL, -- new, active, dormant, churned, loyal
    tier           TEXT    NOT NULL, -- key, ordinary, small (Pareto value tier)
    churn_risk     TEXT    NOT NULL, -- low, medium, high
    churn_reason   TEXT    NOT NULL, -- one line a person understands, zh-CN
    churn_reason_en TEXT   NOT NULL,
    p_alive        DOUBLE PRECISION,             -- BG/NBD probability the customer is still a customer
    expected_30d   DOUBLE PRECISION,             -- expected purchase days in the next 30/90/365 days
    expected_90d   DOUBLE PRECISION,
    expected_365d  DOUBLE PRECISION,
    expected_spend DOUBLE PRECISION,             -- Gamma-Gamma expected spend per purchase day, major units
    clv_12m        DOUBLE PRECISION,             -- discounted 12-month lifetime value, major units
    computed_at    BIGINT NOT NULL,
    PRIMARY KEY (shop_id, customer_id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
);

CREATE TABLE score_runs (
    shop_id     BIGINT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id          BIGINT NOT NULL,
    as_of       TEXT    NOT NULL,
    customers   BIGINT NOT NULL,
    model       TEXT    NOT NULL, -- bgnbd, or '' when not fitted
    params      JSONB   NOT NULL, -- JSON object of fitted parameters
    note        TEXT    NOT NULL, -- why the model was not fitted, if it was not
    rules       TEXT    NOT NULL, -- the lifecycle thresholds used and where they came from
    finished_at BIGINT NOT NULL,
    PRIMARY KEY (shop_id, id)
);

-- +goose Down
DROP TABLE score_runs;
DROP TABLE customer_scores;
