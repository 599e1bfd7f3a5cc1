package score_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// scoreChildEnv carries "dsn|shop id|as-of unix time|stage file" to a
// scoring child.
const scoreChildEnv = "GUANXI_SCORE_CHILD"

// crashEnd is the crash shop's last day and the runs' as-of date and clock.
var crashEnd = time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)

// stages numbers the run's progress stages in order; the stage file holds
// the number of the last one entered (as a decimal), "done" being reported
// only after the scores are committed.
var stages = map[string]int{"read orders": 1, "score customers": 2, "cluster customers": 3, "mine product affinity": 4, "store": 5, "done": 6}

// TestScoreChild is the process the crash test kills: it scores the shop,
// writing each stage it enters to the stage file. It does nothing in a
// normal test run.
func TestScoreChild(t *testing.T) {
	spec := os.Getenv(scoreChildEnv)
	if spec == "" {
		t.Skip("run by the crash test only")
	}
	p := strings.Split(spec, "|")
	shopID, _ := strconv.ParseInt(p[1], 10, 64)
	sec, _ := strconv.ParseInt(p[2], 10, 64)
	ctx := context.Background()
	db, err := store.Open(ctx, p[0])
	if err != nil {
		t.Fatal(err)
	}
	clock := guanxi.FixedClock(crashEnd)
	sh, err := shop.NewService(db, clock).ByID(ctx, shopID)
	if err != nil {
		t.Fatal(err)
	}
	sf, err := os.OpenFile(p[3], os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	report := func(stage string, _ float64) { _, _ = sf.WriteAt([]byte(strconv.Itoa(stages[stage])), 0) }
	if _, err := score.NewService(db, clock, slog.New(slog.DiscardHandler)).RunWithProgress(ctx, sh, time.Unix(sec, 0), report); err != nil {
		t.Fatal(err)
	}
	// Wait to be killed: a child that exits on its own fails KillChild, and
	// a kill that comes after the commit is a case the test counts too.
	time.Sleep(time.Minute)
}

func readStage(path string) int {
	b, _ := os.ReadFile(path)
	n, _ := strconv.Atoi(string(b))
	return n
}

// scoresOf is the shop's stored scores, one line per customer.
func scoresOf(t *testing.T, db *store.DB, shopID int64) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT customer_id, as_of, recency_days, frequency, monetary, r, f, m, segment_cn, segment, lifecycle, tier,
churn_risk, churn_reason, churn_reason_en, p_alive, expected_30d, expected_90d, expected_365d, expected_spend, clv_12m, computed_at,
cluster, next_product_id, next_product_rule, next_product_confidence FROM customer_scores WHERE shop_id = ? ORDER BY customer_id`, shopID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		v := make([]any, 26)
		ptr := make([]any, len(v))
		for i := range v {
			ptr[i] = &v[i]
		}
		if err := rows.Scan(ptr...); err != nil {
			t.Fatal(err)
		}
		for i, x := range v {
			switch x := x.(type) {
			case []byte:
				v[i] = string(x)
			case float64:
				v[i] = strconv.FormatFloat(x, 'g', 12, 64) // the last bits may follow summation order
			}
		}
		out = append(out, fmt.Sprint(v...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameScores(a, b []string) (int, bool) {
	if len(a) != len(b) {
		return -1, false
	}
	for i := range a {
		if a[i] != b[i] {
			return i, false
		}
	}
	return 0, true
}

// TestScoreCrash scores a shop of a few thousand customers cleanly, then
// starts the score run again in a child process and kills it with SIGKILL
// GUANXI_CRASH_KILLS times (default 20) at delays spread over the clean
// run's length: after every kill the stored scores must be those of the
// clean run (a killed run replaces nothing, or everything), and a final run
// to completion must store the same scores again, with score_runs holding
// one row per completed run.
func TestScoreCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	kills := envInt("GUANXI_CRASH_KILLS", 20)
	storetest.CrashEngines(t, func(t *testing.T, dsn string, db *store.DB) {
		ctx := context.Background()
		began := time.Now()
		sh := demotest.Shop(t, db, "crash", crashEnd, 3000, 9000)
		svc := score.NewService(db, guanxi.FixedClock(crashEnd), slog.New(slog.DiscardHandler))
		// Two clean runs: the second must store the same scores (so
		// comparing scores below can fail only for the crashes), and the
		// shorter one sets the kill delays, the first being slower on cold
		// caches.
		var (
			res   score.Result
			want  []string
			clean time.Duration
		)
		var storing time.Duration // of the store stage, the write transaction
		for i := range 2 {
			t0 := time.Now()
			var tStore time.Time
			r, err := svc.RunWithProgress(ctx, sh, crashEnd, func(stage string, _ float64) {
				if stage == "store" {
					tStore = time.Now()
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			d, ds := time.Since(t0), time.Since(tStore)
			got := scoresOf(t, db, sh.ID)
			if i == 0 {
				res, want, clean, storing = r, got, d, ds
				continue
			}
			clean, storing = min(clean, d), min(storing, ds)
			if j, ok := sameScores(got, want); !ok {
				t.Fatalf("two clean runs stored different scores (row %d)", j)
			}
		}
		if len(want) != res.Customers || len(want) < 1000 {
			t.Fatalf("%d scores stored for %d customers", len(want), res.Customers)
		}
		runs := func() int64 {
			var n int64
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM score_runs WHERE shop_id = ?`, sh.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		completed := runs()
		mid := 0
		byStage := map[int]int{}
		for k := range kills {
			// Even kills: delays from 2% to 98% of the clean run, counted from
			// the moment the child enters its first stage (process start-up
			// varies). Odd kills: delays over the store stage, from the moment
			// the child enters it, since the writes are where a crash could
			// leave half a run behind.
			from, span := 1, clean
			if k%2 == 1 {
				from, span = stages["store"], storing
			}
			delay := span * time.Duration(2+96*k/max(1, kills-1)) / 100
			sf := filepath.Join(t.TempDir(), "stage")
			var started time.Time
			stage := 0
			progress := func() int {
				stage = readStage(sf)
				switch {
				case stage < from:
					return 0
				case stage == stages["done"]:
					return 1 << 40 // committed: kill at once
				case started.IsZero():
					started = time.Now()
				}
				return int(time.Since(started))
			}
			storetest.KillChild(t, "TestScoreChild", fmt.Sprintf("%s=%s|%d|%d|%s", scoreChildEnv, dsn, sh.ID, crashEnd.Unix(), sf),
				[]int{int(delay)}, progress)
			stage = readStage(sf)
			n := runs()
			switch {
			case n == completed && stage < stages["done"]:
				mid++
				byStage[stage]++
			case n == completed+1:
				completed = n // it committed before the kill
			default:
				t.Fatalf("kill %d (stage %d): %d score runs recorded, had %d", k+1, stage, n, completed)
			}
			if i, ok := sameScores(scoresOf(t, db, sh.ID), want); !ok {
				t.Fatalf("after kill %d at %v (stage %d) the stored scores differ from the clean run's (row %d)", k+1, delay, stage, i)
			}
		}
		res2, err := svc.Run(ctx, sh, crashEnd)
		if err != nil {
			t.Fatal(err)
		}
		if i, ok := sameScores(scoresOf(t, db, sh.ID), want); !ok || res2.Customers != res.Customers {
			t.Fatalf("the run after the crashes stored different scores than the clean run (row %d; %d vs %d customers)", i, res2.Customers, res.Customers)
		}
		if n := runs(); n != completed+1 {
			t.Fatalf("%d score runs, want %d", n, completed+1)
		}
		var odd int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM score_runs WHERE shop_id = ? AND (customers <> ? OR as_of <> ?)`,
			sh.ID, res.Customers, res.AsOf).Scan(&odd); err != nil || odd != 0 {
			t.Fatalf("%d score runs disagree with the clean run (%v)", odd, err)
		}
		t.Logf("%d customers, clean run %v (store stage %v): %d kills, %d mid-run (by stage %v), %d after the commit; %.1fs",
			res.Customers, clean.Round(time.Millisecond), storing.Round(time.Millisecond), kills, mid, byStage, kills-mid, time.Since(began).Seconds())
	})
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
