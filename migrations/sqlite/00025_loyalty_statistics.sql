-- +goose Up
-- Planner statistics for the points ledger, as 00002 gives the import's
-- tables. Without them SQLite answers "this order's ledger entries" by
-- walking the shop's whole ledger through the primary key instead of
-- points_ledger_order: after a million-order import, crediting points and
-- then looking for refunded orders took more than fifteen minutes (one
-- walk of a million entries per refunded order). The figures describe a
-- shop with three million entries; a database that has statistics for the
-- ledger keeps them.
INSERT INTO sqlite_stat1 (tbl, idx, stat)
SELECT v.tbl, v.idx, v.stat FROM (
              SELECT 'points_ledger' AS tbl, 'points_ledger' AS idx, '3000000 3000000 1' AS stat
    UNION ALL SELECT 'points_ledger', 'points_ledger_customer', '3000000 3000000 3 1'
    UNION ALL SELECT 'points_ledger', 'points_ledger_order', '3000000 3000000 1'
    UNION ALL SELECT 'points_ledger', 'points_ledger_open', '1000000 1000000 1000'
    UNION ALL SELECT 'points_ledger', 'sqlite_autoindex_points_ledger_2', '3000000 3000000 1'
    UNION ALL SELECT 'loyalty_accounts', 'loyalty_accounts', '1000000 1000000 1'
) AS v
WHERE NOT EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = v.tbl);
ANALYZE sqlite_schema;

-- +goose Down
DELETE FROM sqlite_stat1 WHERE tbl IN ('points_ledger', 'loyalty_accounts');
