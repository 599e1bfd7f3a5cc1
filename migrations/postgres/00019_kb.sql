-- +goose Up
-- Self-service knowledge base (issue 6 §4): FAQ articles in categories,
-- published per shop on a public page, searched in Chinese and English, and
-- rated "was this helpful" by visitors. Search is done in Go over a shop's
-- articles (internal/kb), so no index table: a shop has at most a few
-- thousand articles, and one tokeniser then serves both engines alike.
CREATE TABLE kb_categories (
    shop_id    BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id         BIGINT  NOT NULL,
    name       TEXT    NOT NULL,
    position   BIGINT  NOT NULL DEFAULT 0, -- order on the public page, smallest first
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    version    BIGINT  NOT NULL DEFAULT 1,
    PRIMARY KEY (shop_id, id)
);
CREATE UNIQUE INDEX kb_categories_name ON kb_categories (shop_id, name);

-- category_id has no foreign key: deleting a category moves its articles
-- to none (NULL) in the same transaction, which a composite foreign key's
-- SET NULL cannot do on SQLite without also clearing shop_id.
CREATE TABLE kb_articles (
    shop_id     BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id          BIGINT  NOT NULL,
    category_id BIGINT,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL DEFAULT '', -- plain text: paragraphs and [links](https://…) only
    language    TEXT    NOT NULL CHECK (language IN ('zh', 'en')),
    published   BIGINT  NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    helpful     BIGINT  NOT NULL DEFAULT 0 CHECK (helpful >= 0),
    unhelpful   BIGINT  NOT NULL DEFAULT 0 CHECK (unhelpful >= 0),
    views       BIGINT  NOT NULL DEFAULT 0 CHECK (views >= 0),
    created_by  BIGINT,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    version     BIGINT  NOT NULL DEFAULT 1,
    PRIMARY KEY (shop_id, id)
);
CREATE INDEX kb_articles_popular ON kb_articles (shop_id, published, views);
CREATE INDEX kb_articles_category ON kb_articles (shop_id, category_id);

-- One vote per browser and article: voter is the SHA-256 of the visitor's
-- random cookie, so a second vote from the same browser counts nothing and
-- the table holds nothing that identifies anyone.
CREATE TABLE kb_votes (
    shop_id    BIGINT  NOT NULL,
    article_id BIGINT  NOT NULL,
    voter      TEXT    NOT NULL,
    helpful    BIGINT  NOT NULL CHECK (helpful IN (0, 1)),
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (shop_id, article_id, voter),
    FOREIGN KEY (shop_id, article_id) REFERENCES kb_articles (shop_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE kb_votes;
DROP TABLE kb_articles;
DROP TABLE kb_categories;
