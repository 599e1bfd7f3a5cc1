// Package store opens Guanxi's database — SQLite in one file (the embedded
// default) or PostgreSQL — runs the embedded migrations, and gives domain
// packages one way to run SQL on either engine: queries are written once with
// `?` placeholders, a write transaction helper, bulk insert (multi-row INSERT
// on SQLite, COPY on PostgreSQL) and error mapping to guanxi codes. A *DB is
// safe for concurrent use; a *Tx is not.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/seal"
)

// Dialect names an engine.
type Dialect string

// The engines Guanxi runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open Guanxi database.
type DB struct {
	Dialect Dialect
	DSN     string // as given, for messages (never printed with a password)
	read    *sql.DB
	write   *sql.DB // SQLite: a single connection, so writers queue in Go, not on SQLITE_BUSY
	rebinds sync.Map
	keys    *seal.Keys // seal personal fields; see fields.go
}

// Open opens the database named by dsn ("sqlite:PATH", a bare path, or a
// postgres:// URL) with the field key LoadKeys finds, and migrates it to the
// current schema.
func Open(ctx context.Context, dsn string) (*DB, error) {
	k, _, err := LoadKeys()
	if err != nil {
		return nil, err
	}
	return OpenWithKeys(ctx, dsn, k)
}

// OpenWithKeys is Open with the field keys given.
func OpenWithKeys(ctx context.Context, dsn string, k *seal.Keys) (*DB, error) {
	var db *DB
	var err error
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err = openPostgres(ctx, dsn)
	default:
		db, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	}
	if err != nil {
		return nil, err
	}
	db.DSN = dsn
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.useKeys(ctx, k); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes every connection.
func (db *DB) Close() error {
	err := db.read.Close()
	if db.write != db.read {
		err = errors.Join(err, db.write.Close())
	}
	return err
}

// Ping checks the database answers, for health checks.
func (db *DB) Ping(ctx context.Context) error {
	return errors.Join(db.read.PingContext(ctx), db.write.PingContext(ctx))
}

// Stats reports connection pool figures, for metrics.
func (db *DB) Stats() (read, write sql.DBStats) { return db.read.Stats(), db.write.Stats() }

// Rebind turns `?` placeholders into the engine's own ($1, $2… on PostgreSQL).
// Question marks inside single-quoted literals are left alone.
func (db *DB) Rebind(q string) string {
	if db.Dialect != Postgres {
		return q
	}
	if v, ok := db.rebinds.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n, inStr := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	s := b.String()
	if len(q) < 4096 {
		db.rebinds.Store(q, s)
	}
	return s
}

// Query runs a read query on the read pool.
func (db *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.read.QueryContext(ctx, db.Rebind(q), args...)
}

// QueryRow runs a single-row read query on the read pool.
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return db.read.QueryRowContext(ctx, db.Rebind(q), args...)
}

// Exec runs one statement in its own write transaction.
func (db *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return db.write.ExecContext(ctx, db.Rebind(q), args...)
}

// Tx is a write transaction on one connection.
type Tx struct {
	tx   *sql.Tx
	conn *sql.Conn
	db   *DB
}

// Dialect returns the engine the transaction runs on.
func (tx *Tx) Dialect() Dialect { return tx.db.Dialect }

// Exec runs a statement in the transaction.
func (tx *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, tx.db.Rebind(q), args...)
}

// Query runs a query in the transaction.
func (tx *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, tx.db.Rebind(q), args...)
}

// QueryRow runs a single-row query in the transaction.
func (tx *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, tx.db.Rebind(q), args...)
}

// Prepare prepares a statement for repeated use in the transaction.
func (tx *Tx) Prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	return tx.tx.PrepareContext(ctx, tx.db.Rebind(q))
}

// Update runs fn in a write transaction, committing when fn returns nil and
// rolling back otherwise. On SQLite the transaction takes the write lock at
// BEGIN (IMMEDIATE), so it never fails half-way with SQLITE_BUSY.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, conn: conn, db: db}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", MapError(err))
	}
	return nil
}

// MapError turns engine errors that mean something to a user into
// *guanxi.Error: a unique violation is ECONFLICT, no rows is ENOTFOUND.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &guanxi.Error{Code: guanxi.ENOTFOUND, Message: "not found"}
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505") {
		return fmt.Errorf("%w (%s)", guanxi.Errorf(guanxi.ECONFLICT, "already exists"), msg)
	}
	return err
}

// In returns "?,?,…" with n placeholders, for IN lists.
func In(n int) string {
	if n <= 0 {
		return "NULL"
	}
	return strings.Repeat("?,", n-1) + "?"
}

// NextIDs reserves n consecutive ids of the named sequence in a shop and
// returns the first. Ids are per shop (the primary keys are (shop_id, id)),
// so a shop's data can move between installs without renumbering.
func (tx *Tx) NextIDs(ctx context.Context, shopID int64, name string, n int64) (int64, error) {
	// One upsert, not an UPDATE then an INSERT when there was no row: two
	// transactions taking a shop's first ids of a kind at once would both
	// insert, and one fail (seen under concurrent writes on PostgreSQL);
	// the upsert makes the second wait and then count on from the first.
	var next int64
	err := tx.QueryRow(ctx, `INSERT INTO shop_counters (shop_id, name, next_id) VALUES (?, ?, ?)
ON CONFLICT (shop_id, name) DO UPDATE SET next_id = shop_counters.next_id + ? RETURNING next_id`,
		shopID, name, n+1, n).Scan(&next)
	if err != nil {
		return 0, fmt.Errorf("store: counter %s: %w", name, err)
	}
	return next - n, nil
}

// Analyze refreshes the planner's statistics after a bulk change, so that
// queries keep choosing index lookups over scans as tables grow. It must
// not run inside a transaction (VACUUM refuses one).
func (db *DB) Analyze(ctx context.Context) error {
	var err error
	if db.Dialect == Postgres {
		// VACUUM too: it marks the new rows' pages all-visible, so that
		// index-only scans (the customer list walking customer_stats_recent)
		// read the index alone instead of fetching every row; autovacuum
		// gets there too, but only later.
		_, err = db.write.ExecContext(ctx, `VACUUM (ANALYZE) customers, customer_identities, customer_consents, customer_stats, orders, order_lines, products`)
	} else {
		// optimize analyses the tables whose size changed enough to matter,
		// in full: a sampled analysis (analysis_limit) misjudges the leading
		// shop_id column, which has few values, and then the planner scans a
		// whole shop instead of probing an index.
		_, err = db.write.ExecContext(ctx, `PRAGMA optimize = 0x10002`)
	}
	if err != nil {
		return fmt.Errorf("store: analyze: %w", err)
	}
	return nil
}
