package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"

	"github.com/guanxi-crm/guanxi/internal/seal"
)

// ReadTx is a read-only transaction: every query in it sees one snapshot of
// the database, whatever writers commit meanwhile. It is not safe for
// concurrent use.
type ReadTx struct {
	tx *sql.Tx
	db *DB
}

// Keys returns the keys that seal the database's personal fields.
func (tx *ReadTx) Keys() *seal.Keys { return tx.db.keys }

// Dialect returns the engine the transaction runs on.
func (tx *ReadTx) Dialect() Dialect { return tx.db.Dialect }

// Query runs a query in the transaction.
func (tx *ReadTx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, tx.db.Rebind(q), args...)
}

// QueryRow runs a single-row query in the transaction.
func (tx *ReadTx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, tx.db.Rebind(q), args...)
}

// View runs fn in a read-only transaction on the read pool and returns fn's
// error. The snapshot is taken when View starts: on SQLite a read
// transaction on one read connection (WAL keeps it stable while the writer
// commits), on PostgreSQL REPEATABLE READ READ ONLY. Long views are fine for
// writers on both engines; on SQLite they hold back WAL checkpoints until
// they end.
func (db *DB) View(ctx context.Context, fn func(tx *ReadTx) error) error {
	return db.view(ctx, false, fn)
}

// ViewPlanned is View for interactive queries whose best plan depends on
// their arguments (a search by a surname shared by thousands, or by a full
// name shared by ten): PostgreSQL plans each statement in it afresh instead
// of reusing a plan made once for any arguments, as it does for a statement
// run often, and without parallel workers. Elsewhere cached plans stay,
// cheaper for the many lookups by key.
func (db *DB) ViewPlanned(ctx context.Context, fn func(tx *ReadTx) error) error {
	return db.view(ctx, true, fn)
}

func (db *DB) view(ctx context.Context, planEach bool, fn func(tx *ReadTx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.Dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	sqlTx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer func() { _ = sqlTx.Rollback() }()
	// Both engines take the snapshot at the first read, not at BEGIN: read
	// now, so the snapshot is the moment View was called.
	if planEach && db.Dialect == Postgres {
		// And no parallel workers: starting them costs about 200 ms, more
		// than any of these queries should take.
		for _, set := range []string{`SET LOCAL plan_cache_mode = force_custom_plan`, `SET LOCAL max_parallel_workers_per_gather = 0`} {
			if _, err := sqlTx.ExecContext(ctx, set); err != nil {
				return fmt.Errorf("store: begin read: %w", err)
			}
		}
	}
	var n int64
	if err := sqlTx.QueryRowContext(ctx, `SELECT COUNT(*) FROM goose_db_version`).Scan(&n); err != nil {
		return fmt.Errorf("store: begin read: %w", err)
	}
	return fn(&ReadTx{tx: sqlTx, db: db})
}

// VacuumInto writes a consistent, compacted copy of a SQLite database to
// path, which must not exist or be empty. It runs on a connection of its own
// (the read pool is query-only, which VACUUM INTO refuses), reading a
// snapshot, so writers carry on meanwhile. It fails on PostgreSQL.
func (db *DB) VacuumInto(ctx context.Context, path string) error {
	if db.Dialect != SQLite {
		return fmt.Errorf("store: VACUUM INTO needs SQLite, not %s", db.Dialect)
	}
	file := SQLitePath(db.DSN)
	if file == "" {
		file = "guanxi.db" // as openSQLite
	}
	src, err := filepath.Abs(file)
	if err != nil {
		return fmt.Errorf("store: vacuum into %s: %w", path, err)
	}
	conn, err := sql.Open("sqlite3", "file:"+src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("store: vacuum into %s: %w", path, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("store: vacuum into %s: %w", path, err)
	}
	return nil
}

// PreferOrderedIndex tells PostgreSQL, for the rest of the transaction,
// to read rows in an index's order rather than sort them, for a query
// known to find its page early in that order (a walk through many
// matches). Elsewhere it does nothing.
func (tx *ReadTx) PreferOrderedIndex(ctx context.Context) error {
	if tx.db.Dialect != Postgres {
		return nil
	}
	if _, err := tx.tx.ExecContext(ctx, `SET LOCAL enable_sort = off`); err != nil {
		return fmt.Errorf("store: prefer ordered index: %w", err)
	}
	return nil
}
