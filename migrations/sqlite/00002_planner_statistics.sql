-- +goose Up
-- Until a database has been analysed, SQLite's planner knows nothing of how
-- many rows share a shop_id and may walk a whole shop through a primary key
-- where an index on (shop_id, customer_id) finds a customer's few rows
-- (seen: recomputing a thousand customers' statistics scanned every order
-- of the shop for each). These figures describe a shop with a million
-- customers and 2.5 million orders; the ANALYZE that imports run replaces
-- them with the database's own. A database that has statistics keeps them.
ANALYZE sqlite_schema;
INSERT INTO sqlite_stat1 (tbl, idx, stat)
SELECT v.tbl, v.idx, v.stat FROM (
              SELECT 'orders' AS tbl, 'orders' AS idx, '2500000 2500000 1' AS stat
    UNION ALL SELECT 'orders', 'orders_customer', '2500000 2500000 3'
    UNION ALL SELECT 'orders', 'orders_placed', '2500000 2500000 2'
    UNION ALL SELECT 'orders', 'sqlite_autoindex_orders_2', '2500000 2500000 1250000 1'
    UNION ALL SELECT 'order_lines', 'order_lines', '6000000 6000000 3 1'
    UNION ALL SELECT 'customers', 'customers', '1000000 1000000 1'
    UNION ALL SELECT 'customers', 'customers_name', '1000000 1000000 3'
    UNION ALL SELECT 'customers', 'customers_phone', '1000000 1000000 2'
    UNION ALL SELECT 'customer_identities', 'customer_identities', '1600000 1600000 400000 300000 1'
    UNION ALL SELECT 'customer_identities', 'customer_identities_customer', '1600000 1600000 2'
    UNION ALL SELECT 'customer_stats', 'customer_stats', '1000000 1000000 1'
    UNION ALL SELECT 'customer_stats', 'customer_stats_recent', '1000000 1000000 3 1'
    UNION ALL SELECT 'customer_consents', 'customer_consents', '1000000 1000000 2 1 1'
    UNION ALL SELECT 'timeline_events', 'timeline_events', '5000000 5000000 1'
    UNION ALL SELECT 'timeline_events', 'timeline_events_customer', '5000000 5000000 5 1'
    UNION ALL SELECT 'customer_merges', 'customer_merges', '10000 10000 1'
    UNION ALL SELECT 'products', 'products', '5000 5000 1'
    UNION ALL SELECT 'products', 'sqlite_autoindex_products_2', '5000 5000 1'
) AS v
WHERE NOT EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = v.tbl);
-- Make this connection's planner read them now.
ANALYZE sqlite_schema;

-- +goose Down
DELETE FROM sqlite_stat1;
