package app

import (
	"context"
	"io"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// openTest opens the application on the test's database, closed when the
// test ends.
func openTest(t *testing.T, db *store.DB) *App {
	t.Helper()
	a, err := Open(context.Background(), Config{DB: db.DSN, LogOut: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}
