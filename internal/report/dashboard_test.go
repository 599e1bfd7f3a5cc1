package report_test

import (
	"testing"

	"github.com/guanxi-crm/guanxi/internal/report"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestDashboardAnalyses checks the month-by-month analyses against what
// the score run stored: stages at the run's date are the stored stages,
// and the monthly buyers are the cube's monthly customers.
func TestDashboardAnalyses(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := scoredShop(t, db, 1500, 5000)
		s := report.NewService(db)
		run, err := s.LatestRun(ctx, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		rules, err := run.LifecycleRules()
		if err != nil {
			t.Fatal(err)
		}
		f, err := s.LifecycleFlows(ctx, sh.ID, rules, run.AsOf, 12)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Points) != 13 || len(f.Steps) != 12 || f.Points[12] != run.AsOf {
			t.Fatalf("points %v, %d steps", f.Points, len(f.Steps))
		}
		stored, err := s.ScoreCounts(ctx, sh.ID, "lifecycle")
		if err != nil {
			t.Fatal(err)
		}
		last := f.Counts[12]
		for _, c := range stored {
			i := -1
			for j, st := range report.LifecycleStages {
				if st == c.Value {
					i = j
				}
			}
			if i < 0 || last[i] != c.Customers {
				t.Errorf("stage %q: %d customers stored, flows say %v", c.Value, c.Customers, last)
			}
		}
		for k, st := range f.Steps {
			var moved, before, after int64
			for i, row := range st.Matrix {
				for _, v := range row {
					moved += v
					if i > 0 {
						before += v
					}
				}
			}
			for j := range report.LifecycleStages {
				before -= f.Counts[k][j]
				after += f.Counts[k+1][j]
			}
			if moved != after || before != 0 {
				t.Errorf("step %d: %d moved, %d at the end; %d unaccounted for at the start", k, moved, after, before)
			}
		}

		rep, err := s.RepeatByMonth(ctx, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		cube, err := s.Cube(ctx, sh.ID, report.CubeQuery{By: []string{"month"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep) != len(cube.Rows) {
			t.Fatalf("%d months of repeat rates, %d in the cube", len(rep), len(cube.Rows))
		}
		returning := int64(0)
		for i, r := range rep {
			if r.Month != cube.Rows[i].Keys[0] || r.Customers != cube.Rows[i].Customers || r.Returning > r.Customers {
				t.Errorf("month %d: %+v, cube %+v", i, r, cube.Rows[i])
			}
			returning += r.Returning
		}
		if rep[0].Returning != 0 || returning == 0 {
			t.Errorf("returning buyers: %d in the first month, %d in all", rep[0].Returning, returning)
		}

		tiers, err := s.ScoreTotals(ctx, sh.ID, "tier")
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, tt := range tiers {
			n += tt.Customers
			if tt.Monetary <= 0 {
				t.Errorf("tier %q spends %d", tt.Value, tt.Monetary)
			}
		}
		if n != run.Customers {
			t.Errorf("tiers hold %d customers, the run scored %d", n, run.Customers)
		}
		page, err := s.HighChurnRisk(ctx, sh.ID, "monetary", 20, 0)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total == 0 || len(page.Customers) == 0 {
			t.Fatalf("no customers at high risk of churn")
		}
		for i, c := range page.Customers {
			if c.ReasonZH == "" || c.ReasonEN == "" || (i > 0 && c.Monetary > page.Customers[i-1].Monetary) {
				t.Errorf("churn list row %d: %+v", i, c)
			}
		}
		if _, err := s.HighChurnRisk(ctx, sh.ID, "name; DROP TABLE x", 20, 0); err == nil {
			t.Error("an unknown sort was accepted")
		}
	})
}

// TestScoreAnswersFollowRuns checks that the answers kept from the scores
// are kept only until the shop is scored again.
func TestScoreAnswersFollowRuns(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := scoredShop(t, db, 200, 600)
		s := report.NewService(db)
		count := func() int64 {
			t.Helper()
			cs, err := s.ScoreCounts(ctx, sh.ID, "tier")
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if c.Value == "key" {
					return c.Customers
				}
			}
			return 0
		}
		before := count()
		if _, err := db.Exec(ctx, `UPDATE customer_scores SET tier = 'key' WHERE shop_id = ?`, sh.ID); err != nil {
			t.Fatal(err)
		}
		if got := count(); got != before {
			t.Fatalf("answer not kept between runs: %d, then %d", before, got)
		}
		// A new run (here: the last one again under a new id) is seen at once.
		if _, err := db.Exec(ctx, `INSERT INTO score_runs (shop_id, id, as_of, customers, model, params, note, rules, finished_at)
SELECT shop_id, id + 1, as_of, customers, model, params, note, rules, finished_at FROM score_runs WHERE shop_id = ? AND id = (SELECT MAX(id) FROM score_runs WHERE shop_id = ?)`, sh.ID, sh.ID); err != nil {
			t.Fatal(err)
		}
		var all int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM customer_scores WHERE shop_id = ?`, sh.ID).Scan(&all); err != nil {
			t.Fatal(err)
		}
		if got := count(); got != all || got == before {
			t.Fatalf("after a new run: %d key customers, want all %d (was %d)", got, all, before)
		}
	})
}
