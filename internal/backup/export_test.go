package backup

import (
	"context"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// Checksums returns "rows sha256" of every table as read in tx, computed as
// a backup computes them, for tests that compare a snapshot of the source
// with a restored copy.
func Checksums(ctx context.Context, tx *store.ReadTx, d store.Dialect) (map[string]string, error) {
	ts, err := readTables(ctx, tx, d, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, t := range ts {
		out[t.Name] = t.SHA256
	}
	return out, nil
}
