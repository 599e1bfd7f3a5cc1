-- +goose Up
-- SQLite only (planner statistics for the points ledger; see the SQLite
-- migration of the same number). PostgreSQL gathers its own by autovacuum
-- and the ANALYZE imports run. Kept so both engines share one numbering.
SELECT 1;

-- +goose Down
SELECT 1;
