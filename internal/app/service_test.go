package app

import (
	"context"
	"github.com/guanxi-crm/guanxi"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// The SLA sweep: planned for every shop, run by the scheduler as an
// escalate job, escalating a breach once, counted on /metrics, and its old
// runs pruned.
func TestEscalateJob(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := openTest(t, db)
		start := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
		clock := guanxi.NewManualClock(start)
		a.Clock, a.Jobs, a.Desk = clock, job.NewStore(a.DB, clock), service.NewService(a.DB, clock)
		sh := demotest.Shop(t, a.DB, "s1", start, 5, 10)
		var customer int64
		if err := a.DB.QueryRow(ctx, `SELECT MIN(id) FROM customers WHERE shop_id = ?`, sh.ID).Scan(&customer); err != nil {
			t.Fatal(err)
		}
		tk := &service.Ticket{Kind: service.Consultation, Subject: "有货吗", CustomerID: customer}
		if err := a.Desk.Create(ctx, sh.ID, tk); err != nil {
			t.Fatal(err)
		}
		sweep := func() []*job.Job {
			t.Helper()
			if err := a.PlanEscalations(ctx); err != nil {
				t.Fatal(err)
			}
			// Planning twice queues one sweep, not two.
			if err := a.PlanEscalations(ctx); err != nil {
				t.Fatal(err)
			}
			ran, err := a.scheduler().RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out []*job.Job
			for _, j := range ran {
				if j.Kind == EscalateKind {
					out = append(out, j)
				}
			}
			return out
		}
		if ran := sweep(); len(ran) != 1 {
			t.Fatalf("first sweep ran %d escalate jobs", len(ran))
		}
		// Past the first response due time: one escalation, once.
		clock.Advance(tk.FirstResponseDue.Sub(start) + time.Minute)
		sweep()
		sweep()
		got, err := a.Desk.Get(ctx, sh.ID, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Priority != service.High || !got.ResponseEscalated {
			t.Fatalf("after the sweeps: %s, escalated %v", got.Priority, got.ResponseEscalated)
		}
		js, err := a.Jobs.List(ctx, sh.ID, 20)
		if err != nil {
			t.Fatal(err)
		}
		var results []string
		for _, j := range js {
			if j.Kind == EscalateKind {
				results = append(results, j.Status+": "+j.Result)
			}
		}
		if strings.Join(results, "|") != "done: 0 tickets escalated|done: 1 tickets escalated|done: 0 tickets escalated" {
			t.Fatalf("escalate jobs, newest first: %q", results)
		}
		rec := httptest.NewRecorder()
		a.writeDeskMetrics(rec)
		if body := rec.Body.String(); !strings.Contains(body, "guanxi_ticket_escalations_total 1\n") || !strings.Contains(body, "guanxi_sla_sweeps_total 3\n") {
			t.Fatalf("metrics:\n%s", body)
		}
		// A day later the old sweeps are gone; the new one stays.
		clock.Advance(25 * time.Hour)
		sweep()
		var n int
		if err := a.DB.QueryRow(ctx, `SELECT COUNT(*) FROM jobs WHERE shop_id = ? AND kind = ?`, sh.ID, EscalateKind).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d escalate jobs kept, want 1", n)
		}
	})
}
