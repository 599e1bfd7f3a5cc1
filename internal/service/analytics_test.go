package service_test

import (
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestComplaintAnalytics checks seed 002 §7.3's figures against a fixture
// worked out by hand.
//
// Orders (orders.csv and analytics.csv), May to July 2025 in Shanghai:
// May T1 T2 T3 A1 = 4; June A2–A6 = 5 (A7 cancelled, not counted); July
// A8 A9 = 2; A10 (30 April) and A11 (1 August) fall outside. 11 in all.
//
// Complaints, with the hours each step took:
//
//	#1 15 May  C1 王芳  received→confirmed 1,   confirmed→assessed 3 (logistics)
//	#2  2 June C1 王芳  2, 1 (logistics), then solution 24, executed 48, follow-up 2, archived 1
//	#3 10 June C2 李雷  4, 2 (product)
//	#4 20 June C3 张伟  8, 6 (payment)
//	#5  5 July C1 王芳  0.5, 10 (logistics)
//	#6 20 July C2 李雷  received only: unassessed
//
// and outside the period: a complaint of C3 on 30 April and one of C2 at
// 00:30 on 1 August (confirmed an hour later), and a refund ticket in June
// (not a complaint).
//
// So: May 1 complaint / 4 orders = 250 per 1,000; June 3 / 5 = 600; July
// 2 / 2 = 1000; the period 6 / 11 = 545.45. Causes of the 5 assessed:
// logistics 3 (60%, cumulative 60%), product 1 (20%, 80%), payment 1 (20%,
// 100%) — product before payment on the tie, in the order of §7.1.
// received→confirmed took 0.5, 1, 2, 4, 8 hours: p50 the 3rd = 2, p90 the
// 5th = 8. confirmed→assessed 1, 2, 3, 6, 10: p50 3, p90 10. The later steps
// once each. Repeat complainers: 王芳 3, 李雷 2 (张伟's April complaint and
// 李雷's August one are outside).
func TestComplaintAnalytics(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		sh, err := shop.NewService(db, f.clock).ByID(bg, f.shopID)
		must(t, err)
		if _, err := importer.NewService(db, f.clock, slog.New(slog.DiscardHandler)).ImportFile(bg, sh, "testdata/analytics.csv", importer.Options{Format: "generic"}); err != nil {
			t.Fatalf("import: %v", err)
		}
		var c3 int64
		must(t, db.QueryRow(bg, `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = 'A1'`, f.shopID).Scan(&c3))
		// The cancelled order is there, so leaving it out is the count's doing.
		var status string
		must(t, db.QueryRow(bg, `SELECT status FROM orders WHERE shop_id = ? AND external_id = 'A7'`, f.shopID).Scan(&status))
		if status != "cancelled" {
			t.Fatalf("A7 imported as %q", status)
		}
		at := func(month time.Month, day, hour, minute int) time.Time {
			return time.Date(2025, month, day, hour, minute, 0, 0, cst)
		}
		type step struct {
			hours float64
			st    service.Step
		}
		confirm := func(h float64) step { return step{h, service.Step{To: service.Confirmed}} }
		assess := func(h float64, cause string) step {
			return step{h, service.Step{To: service.Assessed, Cause: cause, Severity: "minor"}}
		}
		complaint := func(kind string, customer int64, created time.Time, steps ...step) {
			t.Helper()
			f.clock.Set(created)
			tk := &service.Ticket{Kind: kind, Subject: "投诉", CustomerID: customer}
			must(t, f.svc.Create(f.asAgent, f.shopID, tk))
			now := created
			for _, s := range steps {
				now = now.Add(time.Duration(s.hours * float64(time.Hour)))
				f.clock.Set(now)
				var err error
				tk, err = f.svc.Transition(f.asAgent, f.shopID, tk.ID, tk.Version, s.st)
				must(t, err)
			}
		}
		complaint(service.Complaint, f.c1, at(5, 15, 10, 0), confirm(1), assess(3, "logistics"))
		complaint(service.Complaint, f.c1, at(6, 2, 9, 0), confirm(2), assess(1, "logistics"),
			step{24, service.Step{To: service.SolutionProposed, Solution: "补发"}}, step{48, service.Step{To: service.Executed}},
			step{2, service.Step{To: service.FollowUp, Outcome: "满意"}}, step{1, service.Step{To: service.Archived}})
		complaint(service.Complaint, f.c2, at(6, 10, 14, 0), confirm(4), assess(2, "product"))
		complaint(service.Complaint, c3, at(6, 20, 8, 0), confirm(8), assess(6, "payment"))
		complaint(service.Complaint, f.c1, at(7, 5, 9, 0), confirm(0.5), assess(10, "logistics"))
		complaint(service.Complaint, f.c2, at(7, 20, 9, 0))
		complaint(service.Complaint, c3, at(4, 30, 23, 0), confirm(100))
		complaint(service.Complaint, f.c2, at(8, 1, 0, 30), confirm(1))
		complaint(service.Refund, c3, at(6, 15, 9, 0), step{1, service.Step{To: service.Solved}})

		a, err := f.svc.Analytics(bg, f.shopID, at(5, 1, 0, 0), at(8, 1, 0, 0))
		must(t, err)
		near := func(a, b float64) bool { return math.Abs(a-b) < 0.005 }
		if a.Complaints != 6 || a.Orders != 11 || !near(a.Rate, 545.45) || a.Unassessed != 1 {
			t.Errorf("totals: %d complaints, %d orders, rate %.2f, %d unassessed", a.Complaints, a.Orders, a.Rate, a.Unassessed)
		}
		wantMonths := []service.ComplaintMonth{{Month: "2025-05", Complaints: 1, Orders: 4, Rate: 250}, {Month: "2025-06", Complaints: 3, Orders: 5, Rate: 600},
			{Month: "2025-07", Complaints: 2, Orders: 2, Rate: 1000}}
		if len(a.Months) != len(wantMonths) {
			t.Fatalf("months %+v", a.Months)
		}
		for i, w := range wantMonths {
			g := a.Months[i]
			if g.Month != w.Month || g.Complaints != w.Complaints || g.Orders != w.Orders || !near(g.Rate, w.Rate) || !g.Start.Equal(at(time.Month(5+i), 1, 0, 0)) {
				t.Errorf("month %d: %+v, want %+v", i, g, w)
			}
		}
		wantCauses := []service.CauseShare{{"logistics", 3, 0.6, 0.6}, {"product", 1, 0.2, 0.8}, {"payment", 1, 0.2, 1}}
		if len(a.Causes) != len(wantCauses) {
			t.Fatalf("causes %+v", a.Causes)
		}
		for i, w := range wantCauses {
			g := a.Causes[i]
			if g.Cause != w.Cause || g.Count != w.Count || !near(g.Share, w.Share) || !near(g.Cumulative, w.Cumulative) {
				t.Errorf("cause %d: %+v, want %+v", i, g, w)
			}
		}
		wantSteps := []service.StepTime{
			{From: "received", To: "confirmed", Count: 5, P50: 2, P90: 8},
			{From: "confirmed", To: "assessed", Count: 5, P50: 3, P90: 10},
			{From: "assessed", To: "solution_proposed", Count: 1, P50: 24, P90: 24},
			{From: "solution_proposed", To: "executed", Count: 1, P50: 48, P90: 48},
			{From: "executed", To: "follow_up", Count: 1, P50: 2, P90: 2},
			{From: "follow_up", To: "archived", Count: 1, P50: 1, P90: 1},
		}
		if len(a.Steps) != len(wantSteps) {
			t.Fatalf("steps %+v", a.Steps)
		}
		for i, w := range wantSteps {
			if g := a.Steps[i]; g.From != w.From || g.To != w.To || g.Count != w.Count || !near(g.P50, w.P50) || !near(g.P90, w.P90) {
				t.Errorf("step %d: %+v, want %+v", i, g, w)
			}
		}
		if len(a.Repeat) != 2 || a.Repeat[0] != (service.RepeatComplainer{CustomerID: f.c1, Name: "王芳", Complaints: 3}) ||
			a.Repeat[1] != (service.RepeatComplainer{CustomerID: f.c2, Name: "李雷", Complaints: 2}) {
			t.Errorf("repeat complainers %+v", a.Repeat)
		}
		_, err = f.svc.Analytics(bg, f.shopID, at(8, 1, 0, 0), at(5, 1, 0, 0))
		wantCode(t, err, "invalid")
	})
}
