-- +goose Up
-- SQLite's planner needs seed statistics until its first ANALYZE (see the
-- SQLite migration of the same name); PostgreSQL's planner has usable
-- defaults and autovacuum analyses new tables, so there is nothing to do.
SELECT 1;

-- +goose Down
SELECT 1;
