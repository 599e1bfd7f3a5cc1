// Package storetest runs a test against every engine Guanxi supports: always
// a fresh SQLite file, and PostgreSQL when GUANXI_TEST_POSTGRES is set (to a
// postgres:// URL, or to 1 for the local server's `test` database). Each
// PostgreSQL test gets a schema of its own, dropped afterwards, so tests can
// run in parallel. Under CI=true a missing PostgreSQL fails the test instead
// of skipping it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// DefaultPostgres is used when GUANXI_TEST_POSTGRES is "1" or "true".
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Engines calls fn once per engine in a subtest named after it.
func Engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a migrated database in a new temporary file.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "guanxi.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL returns the server to test against, or "" (after skipping or
// failing t) when there is none.
func PostgresURL(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("GUANXI_TEST_POSTGRES")
	switch dsn {
	case "":
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but GUANXI_TEST_POSTGRES is not set: the PostgreSQL tests must run in CI")
		}
		t.Skip("PostgreSQL tests are off: set GUANXI_TEST_POSTGRES=1 (or a postgres:// URL) to run them")
		return ""
	case "1", "true":
		dsn = DefaultPostgres
	}
	return dsn
}

// Postgres opens a migrated database in a new schema of the test server.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	base := PostgresURL(t)
	dsn, drop := NewSchema(t, base)
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close(); drop() })
	return db
}

// NewSchema creates an empty schema on the server at base and returns a DSN
// whose search_path is that schema, and a function that drops it.
func NewSchema(t testing.TB, base string) (string, func()) {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres %s: %v", base, err)
	}
	if err := admin.Ping(); err != nil {
		admin.Close()
		t.Fatalf("postgres at %s is not reachable (GUANXI_TEST_POSTGRES is set): %v", base, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", base, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	}
}

// QueryPlan returns SQLite's plan for a query, its steps joined by "; ", for
// tests that guard index use.
func QueryPlan(t testing.TB, db *store.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Query(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatalf("explain: %v", err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("explain: %v", err)
	}
	return strings.Join(plan, "; ")
}
