package segment

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// How the in-memory indexes are kept fresh. Count uses a shop's index while
// its quick version (the newest ids of the rows every import, order, merge,
// score run and edit through Guanxi adds) still equals the one the index was
// read at; a write that changes it starts a rebuild, and until that is done
// Count runs the SQL — unless the index is younger than tolerance (below).
// Writes that add no such row
// (SQL run by hand, a job updating rows in place) are caught by the full
// version — counts and newest times of every table the index reads, a scan
// too slow for each count — compared in the background at most every
// checkEvery; and every index is rebuilt after maxAge whatever the versions
// say, for a change that leaves even those alone (an update within the same
// second as the last).
//
// A shop whose orders stream in (the order webhook) changes its quick
// version every few seconds, faster than a million-customer index builds:
// so an index that is behind by at most tolerance still answers while its
// rebuild runs, and the live count of the builder lags the newest writes by
// about a minute rather than falling back to SQL for good.
const (
	defaultTolerance  = time.Minute
	defaultCheckEvery = 5 * time.Second
	defaultMaxAge     = 10 * time.Minute
	buildTimeout      = 10 * time.Minute
)

// version is what an index was read from.
type version struct {
	quick [7]int64
	full  [16]int64
}

// querier is a *store.DB or a *store.ReadTx.
type querier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// quickVersionSQL reads only the ends of primary keys: cheap at any size.
const quickVersionSQL = `SELECT
COALESCE((SELECT MAX(id) FROM score_runs WHERE shop_id = ?), 0),
COALESCE((SELECT MAX(id) FROM import_runs WHERE shop_id = ?), 0),
COALESCE((SELECT MAX(id) FROM orders WHERE shop_id = ?), 0),
COALESCE((SELECT MAX(id) FROM customers WHERE shop_id = ?), 0),
COALESCE((SELECT MAX(id) FROM customer_merges WHERE shop_id = ?), 0),
COALESCE((SELECT MAX(id) FROM timeline_events WHERE shop_id = ?), 0),
COALESCE((SELECT MAX(id) FROM audit_log WHERE shop_id = ?), 0)`

// fullVersionSQL scans every table the index reads, one row per table
// numbered by its first column.
const fullVersionSQL = `SELECT 0, COUNT(*), COALESCE(MAX(updated_at), 0) FROM customers WHERE shop_id = ? AND merged_into IS NULL
UNION ALL SELECT 1, COUNT(*), COALESCE(MAX(updated_at), 0) FROM customer_stats WHERE shop_id = ?
UNION ALL SELECT 2, COUNT(*), COALESCE(MAX(computed_at), 0) FROM customer_scores WHERE shop_id = ?
UNION ALL SELECT 3, COUNT(*), COALESCE(MAX(at), 0) FROM customer_consents WHERE shop_id = ? AND granted
UNION ALL SELECT 4, COUNT(*), COALESCE(MAX(updated_at), 0) FROM orders WHERE shop_id = ? AND purchase_day IS NOT NULL
UNION ALL SELECT 5, COUNT(*), COALESCE(MAX(updated_at), 0) FROM tickets WHERE shop_id = ? AND kind = 'complaint'
UNION ALL SELECT 6, COUNT(*), COALESCE(MAX(responded_at), 0) FROM survey_responses WHERE shop_id = ?
UNION ALL SELECT 7, COUNT(*), COALESCE(MAX(updated_at), 0) FROM orders ro WHERE shop_id = ? AND ` + refundedSQL

// readVersion reads the shop's quick version, and the full one with full.
func readVersion(ctx context.Context, q querier, shopID int64, full bool) (version, error) {
	var v version
	args := make([]any, len(v.quick))
	for i := range args {
		args[i] = shopID
	}
	qv := v.quick[:]
	dest := make([]any, len(qv))
	for i := range qv {
		dest[i] = &qv[i]
	}
	if err := q.QueryRow(ctx, quickVersionSQL, args...).Scan(dest...); err != nil {
		return v, fmt.Errorf("version: %w", err)
	}
	if !full {
		return v, nil
	}
	rows, err := q.Query(ctx, fullVersionSQL, shopID, shopID, shopID, shopID, shopID, shopID, shopID, shopID)
	if err != nil {
		return v, fmt.Errorf("full version: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var table int
		var n, newest int64
		if err := rows.Scan(&table, &n, &newest); err != nil {
			return v, fmt.Errorf("full version: %w", err)
		}
		if table >= 0 && 2*table+1 < len(v.full) {
			v.full[2*table], v.full[2*table+1] = n, newest
		}
	}
	if err := rows.Err(); err != nil {
		return v, fmt.Errorf("full version: %w", err)
	}
	return v, nil
}

// indexes keeps one index per shop, rebuilding it in the background. It is
// safe for concurrent use.
type indexes struct {
	db         *store.DB
	checkEvery time.Duration
	maxAge     time.Duration
	tolerance  time.Duration // how long a behind index may still answer

	mu    sync.Mutex
	shops map[int64]*shopIndex
}

type shopIndex struct {
	ix        *index
	builtAt   time.Time
	busy      bool          // a check or a build runs
	checkedAt time.Time     // when the full version was last compared or read
	checkCost time.Duration // how long that comparison took: the next waits ten times as long
	nextBuild time.Time     // no build before: after a failure, or as long as the last one took
	err       error         // of the last build, for tests and debugging
}

func newIndexes(db *store.DB) *indexes {
	return &indexes{db: db, checkEvery: defaultCheckEvery, maxAge: defaultMaxAge, tolerance: defaultTolerance, shops: map[int64]*shopIndex{}}
}

// fresh returns the shop's index when it is current, and nil when Count must
// use SQL. Either way it starts a check or a build in the background when
// one is due.
func (c *indexes) fresh(ctx context.Context, shopID int64) *index {
	v, err := readVersion(ctx, c.db, shopID, false)
	if err != nil {
		return nil // the SQL will report the fault
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sh := c.shops[shopID]
	if sh == nil {
		sh = &shopIndex{}
		c.shops[shopID] = sh
	}
	now := time.Now()
	current := sh.ix != nil && sh.ix.version.quick == v.quick
	if !sh.busy && !now.Before(sh.nextBuild) && (!current || now.Sub(sh.checkedAt) >= max(c.checkEvery, 10*sh.checkCost)) {
		sh.busy = true
		go c.refresh(shopID, sh, current)
	}
	if !current && (sh.ix == nil || now.Sub(sh.builtAt) >= c.tolerance) {
		return nil
	}
	return sh.ix
}

// refresh compares the full version of a current index and rebuilds it if
// that changed, or rebuilds a stale one. It runs on its own, not under the
// request that started it, so a count that returns does not cancel it.
func (c *indexes) refresh(shopID int64, sh *shopIndex, current bool) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	c.mu.Lock()
	old, builtAt := sh.ix, sh.builtAt
	c.mu.Unlock()
	if current && time.Since(builtAt) < c.maxAge {
		// The full version scans whole tables (seconds at a million
		// customers on SQLite): its cost spaces the checks out.
		start := time.Now()
		v, err := readVersion(ctx, c.db, shopID, true)
		c.mu.Lock()
		sh.checkCost = time.Since(start)
		c.mu.Unlock()
		if err == nil && v == old.version {
			c.mu.Lock()
			sh.busy, sh.checkedAt = false, time.Now()
			c.mu.Unlock()
			return
		}
	}
	c.build(ctx, shopID, sh)
}

// build reads the shop's index and installs it.
func (c *indexes) build(ctx context.Context, shopID int64, sh *shopIndex) {
	start := time.Now()
	ix, err := buildIndex(ctx, c.db, shopID)
	end := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	sh.busy, sh.checkedAt, sh.err = false, end, err
	if err != nil {
		sh.nextBuild = end.Add(c.checkEvery)
		return
	}
	// Under a stream of writes, builds take at most about half the time.
	sh.ix, sh.builtAt, sh.nextBuild = ix, end, end.Add(end.Sub(start))
}

// buildNow builds the shop's index at once, for tests and benchmarks.
func (c *indexes) buildNow(ctx context.Context, shopID int64) (*index, error) {
	c.mu.Lock()
	sh := c.shops[shopID]
	if sh == nil {
		sh = &shopIndex{}
		c.shops[shopID] = sh
	}
	c.mu.Unlock()
	ix, err := buildIndex(ctx, c.db, shopID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	sh.ix, sh.builtAt, sh.checkedAt, sh.err = ix, time.Now(), time.Now(), nil
	c.mu.Unlock()
	return ix, nil
}
