-- +goose Up
-- Campaigns (issue 5 §2-4): what is sent to whom through which channel, the
-- audience snapshot with its holdout, every message's delivery, the shop's
-- contact policy and channel settings, and the evaluated results.

-- The shop's contact policy, one row per shop that changed the defaults;
-- it spans every channel and every campaign.
CREATE TABLE contact_policies (
    shop_id      BIGINT  NOT NULL PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    quiet_start  BIGINT  NOT NULL, -- minutes after midnight, shop time: no message from here…
    quiet_end    BIGINT  NOT NULL, -- …until here (wrapping midnight when start > end)
    cap_messages BIGINT  NOT NULL CHECK (cap_messages >= 0), -- marketing messages per customer…
    cap_days     BIGINT  NOT NULL CHECK (cap_days >= 0),     -- …per this many days; 0 no cap
    updated_at   BIGINT  NOT NULL
);

-- Signing keys of unsubscribe links, one per shop, made on first use.
CREATE TABLE contact_keys (
    shop_id    BIGINT  NOT NULL PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    secret     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);

-- A channel's provider settings per shop (JSON of internal/campaign's
-- ChannelConfig), its send rate and what one message costs.
CREATE TABLE channel_settings (
    shop_id          BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    channel          TEXT    NOT NULL CHECK (channel IN ('email', 'sms', 'wechat', 'webhook')),
    config           TEXT    NOT NULL DEFAULT '{}',
    rate             DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (rate >= 0), -- messages per second; 0 unlimited
    cost_per_message BIGINT  NOT NULL DEFAULT 0 CHECK (cost_per_message >= 0), -- fen
    updated_at       BIGINT  NOT NULL,
    PRIMARY KEY (shop_id, channel)
);

-- Customers promotions must not reach for now: an open complaint, or an
-- agent's hold. Service messages still go.
CREATE TABLE contact_holds (
    shop_id     BIGINT  NOT NULL,
    customer_id BIGINT  NOT NULL,
    reason      TEXT    NOT NULL, -- complaint:<ticket>, manual
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (shop_id, customer_id, reason),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
);

CREATE TABLE campaigns (
    shop_id            BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id                 BIGINT  NOT NULL,
    parent_id          BIGINT ,          -- a recurring campaign's occurrence: the campaign it repeats
    name               TEXT    NOT NULL,
    theme              TEXT    NOT NULL DEFAULT '',
    purpose            TEXT    NOT NULL CHECK (purpose IN ('marketing', 'service')),
    segment_id         BIGINT ,          -- the saved segment chosen, if any
    rule               TEXT    NOT NULL, -- the audience rule (copied from the segment at launch)
    channel            TEXT    NOT NULL CHECK (channel IN ('email', 'sms', 'wechat', 'webhook')),
    subject            TEXT    NOT NULL DEFAULT '',
    body               TEXT    NOT NULL,
    provider_template  TEXT    NOT NULL DEFAULT '', -- SMS / WeChat template id
    coupon_template_id BIGINT ,
    schedule           TEXT    NOT NULL CHECK (schedule IN ('now', 'at', 'recurring')),
    send_at            BIGINT ,          -- at, recurring: the next send
    repeat_days        BIGINT  NOT NULL DEFAULT 0,
    budget             BIGINT  NOT NULL DEFAULT 0, -- fen; 0 none
    cost_per_message   BIGINT  NOT NULL DEFAULT 0, -- fen
    holdout_share      DOUBLE PRECISION NOT NULL CHECK (holdout_share >= 0 AND holdout_share < 1),
    seed               BIGINT  NOT NULL, -- holdout assignment seed, kept so the split can be re-derived
    attribution_days   BIGINT  NOT NULL CHECK (attribution_days > 0),
    status             TEXT    NOT NULL CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled', 'failed')),
    counts             TEXT    NOT NULL DEFAULT '{}', -- the audience and each exclusion, counted at launch
    error              TEXT    NOT NULL DEFAULT '',
    created_by         BIGINT ,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    launched_at        BIGINT ,
    finished_at        BIGINT ,
    version            BIGINT  NOT NULL DEFAULT 1,
    PRIMARY KEY (shop_id, id)
);
CREATE INDEX campaigns_due ON campaigns (status, send_at);

-- The audience snapshot: one row per customer the rule held at launch, in
-- the target group, the holdout or excluded (with why), and for targets the
-- message's delivery. The idempotency key of a message is its campaign and
-- customer.
CREATE TABLE campaign_messages (
    shop_id     BIGINT  NOT NULL,
    campaign_id BIGINT  NOT NULL,
    customer_id BIGINT  NOT NULL,
    grp         TEXT    NOT NULL CHECK (grp IN ('target', 'holdout', 'excluded')),
    reason      TEXT    NOT NULL DEFAULT '', -- excluded: no_address, no_consent, opted_out, held, capped, budget
    segment     TEXT    NOT NULL DEFAULT '', -- the customer's RFM segment at launch
    address     TEXT    NOT NULL DEFAULT '',
    coupon      TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT '' CHECK (status IN ('', 'queued', 'sending', 'sent', 'delivered', 'failed', 'bounced', 'skipped', 'in_doubt')),
    attempts    BIGINT  NOT NULL DEFAULT 0,
    next_at     BIGINT ,
    sent_at     BIGINT ,
    provider_id TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (shop_id, campaign_id, customer_id),
    FOREIGN KEY (shop_id, campaign_id) REFERENCES campaigns (shop_id, id) ON DELETE CASCADE
);
-- The dispatch queue: a campaign's queued messages in the order they go
-- (claimed by next_at, then customer, a batch at a time), and those left
-- marked sending by a crash.
CREATE INDEX campaign_messages_queue ON campaign_messages (shop_id, campaign_id, next_at, customer_id) WHERE status = 'queued';
CREATE INDEX campaign_messages_sending ON campaign_messages (shop_id, campaign_id) WHERE status = 'sending';
-- Frequency caps: what a customer was sent lately.
CREATE INDEX campaign_messages_sent ON campaign_messages (shop_id, customer_id, sent_at, campaign_id) WHERE sent_at IS NOT NULL;

-- A campaign's evaluation: per group and RFM segment, customers, converters,
-- revenue (and its sum of squares, for the variance) in the attribution
-- window, and messages sent. Rewritten whole by each evaluation.
CREATE TABLE campaign_results (
    shop_id     BIGINT  NOT NULL,
    campaign_id BIGINT  NOT NULL,
    grp         TEXT    NOT NULL CHECK (grp IN ('target', 'holdout')),
    segment     TEXT    NOT NULL,
    customers   BIGINT  NOT NULL,
    converters  BIGINT  NOT NULL,
    orders      BIGINT  NOT NULL,
    revenue     BIGINT  NOT NULL, -- fen, net of refunds
    revenue_sq  DOUBLE PRECISION NOT NULL, -- Σ (revenue per customer in yuan)²
    sent        BIGINT  NOT NULL,
    evaluated_at BIGINT  NOT NULL,
    window_end  BIGINT  NOT NULL,
    PRIMARY KEY (shop_id, campaign_id, grp, segment),
    FOREIGN KEY (shop_id, campaign_id) REFERENCES campaigns (shop_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE campaign_results;
DROP TABLE campaign_messages;
DROP TABLE campaigns;
DROP TABLE contact_holds;
DROP TABLE channel_settings;
DROP TABLE contact_keys;
DROP TABLE contact_policies;
