package score_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/analytics"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestServiceSignalsRaiseChurn scores pairs of customers with the same
// orders, one of each pair with service trouble, and expects the troubled
// one at a higher churn risk with the reason saying why.
func TestServiceSignalsRaiseChurn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		end := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
		sh := &shop.Shop{Code: "sig", Name: "sig", Timezone: "Asia/Shanghai"}
		if err := shop.NewService(db, guanxi.FixedClock(end)).Create(ctx, sh); err != nil {
			t.Fatal(err)
		}
		ex := func(q string, args ...any) {
			t.Helper()
			if _, err := db.Exec(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// Customers 1-6 bought once, 5 days ago; 1, 3 and 5 are the plain
		// twins of 2 (open complaint and detractor), 4 (an archived
		// complaint, CSAT 5, a refund 200 days ago: no signal) and 6 (one
		// refund last month).
		day := end.AddDate(0, 0, -5)
		for c := 1; c <= 6; c++ {
			ex(`INSERT INTO customers (shop_id, id, created_at, updated_at) VALUES (?, ?, 1, 1)`, sh.ID, c)
			ex(`INSERT INTO orders (shop_id, id, platform, external_id, customer_id, status, placed_at, purchase_day, amount, content_hash, created_at, updated_at)
VALUES (?, ?, 't', ?, ?, 'paid', ?, ?, 10000, 0, 1, 1)`, sh.ID, c, fmt.Sprint(c), c, day.Unix(), 20250625)
		}
		ticket := func(id, cust int, closed any) {
			ex(`INSERT INTO tickets (shop_id, id, kind, subject, customer_id, channel, priority, status, created_at, updated_at, closed_at,
sla_started_at, first_response_due, resolution_due) VALUES (?, ?, 'complaint', 's', ?, 'ui', 'normal', 'received', ?, ?, ?, ?, ?, ?)`,
				sh.ID, id, cust, day.Unix(), day.Unix(), closed, day.Unix(), day.Unix(), day.Unix())
		}
		ticket(1, 2, nil)
		ticket(2, 4, day.Unix()+3600)
		ex(`INSERT INTO surveys (shop_id, id, kind, title, status, created_at, updated_at) VALUES (?, 1, 'nps', 'n', 'active', 1, 1), (?, 2, 'csat', 'c', 'active', 1, 1)`, sh.ID, sh.ID)
		resp := func(id, survey, cust int, kind string, score int, at int64) {
			ex(`INSERT INTO survey_responses (shop_id, id, survey_id, invite_id, customer_id, kind, score, responded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				sh.ID, id, survey, id, cust, kind, score, at)
		}
		resp(1, 1, 2, "nps", 9, day.Unix()-86400) // an older promoter answer…
		resp(2, 1, 2, "nps", 3, day.Unix())       // …the latest is a detractor
		resp(3, 2, 4, "csat", 5, day.Unix())
		refund := func(id, cust int, placed time.Time) {
			ex(`INSERT INTO orders (shop_id, id, platform, external_id, customer_id, status, placed_at, purchase_day, amount, refunded, content_hash, created_at, updated_at)
VALUES (?, ?, 't', ?, ?, 'refunded', ?, NULL, 5000, 5000, 0, 1, 1)`, sh.ID, id, fmt.Sprint(id), cust, placed.Unix())
		}
		refund(100, 4, end.AddDate(0, 0, -200))
		refund(101, 6, end.AddDate(0, 0, -30))

		if _, err := score.NewService(db, guanxi.FixedClock(end), slog.New(slog.DiscardHandler)).Run(ctx, sh, end); err != nil {
			t.Fatal(err)
		}
		risk := map[int64][2]string{}
		rows, err := db.Query(ctx, `SELECT customer_id, churn_risk, churn_reason_en FROM customer_scores WHERE shop_id = ?`, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var band, reason string
			if err := rows.Scan(&id, &band, &reason); err != nil {
				t.Fatal(err)
			}
			risk[id] = [2]string{band, reason}
		}
		rows.Close()
		for _, c := range []int64{1, 3, 4, 5} {
			if risk[c][0] != "low" {
				t.Errorf("customer %d: %v, want low", c, risk[c])
			}
		}
		if r := risk[2]; r[0] != "high" || !strings.Contains(r[1], "1 open complaint") || !strings.Contains(r[1], "last NPS 3 (detractor)") {
			t.Errorf("customer 2 (open complaint, detractor): %v, want high saying why", r)
		}
		if r := risk[6]; r[0] != "medium" || !strings.HasSuffix(r[1], "; 1 refund in 180 days") {
			t.Errorf("customer 6 (a refund): %v, want medium", r)
		}
		if risk[2][1][:len(risk[1][1])] != risk[1][1] {
			t.Errorf("customer 2's reason %q does not start with its twin's %q", risk[2][1], risk[1][1])
		}
	})
}

func TestRaiseChurn(t *testing.T) {
	base := analytics.ChurnRisk{Band: analytics.ChurnMedium, ReasonZH: "z", ReasonEN: "e"}
	none := score.Signals{LastNPS: -1, LastCSAT: -1}
	if got := score.RaiseChurn(base, none); got != base {
		t.Errorf("no signals: %+v", got)
	}
	got := score.RaiseChurn(base, score.Signals{LastNPS: 7, LastCSAT: 2, OpenComplaints: 2})
	want := analytics.ChurnRisk{Band: analytics.ChurnHigh, ReasonZH: "z；有2个未结投诉；最近满意度评分2", ReasonEN: "e; 2 open complaints; last CSAT 2"}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// A passive NPS and a middling CSAT are no low satisfaction.
	if (score.Signals{LastNPS: 7, LastCSAT: 3}).LowSatisfaction() {
		t.Error("NPS 7 and CSAT 3 count as low satisfaction")
	}
}
