package app

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/guanxi-crm/guanxi/internal/job"
)

// The service desk's SLA sweep (issue 6 §2): a job of kind escalate per
// shop every EscalateEvery raises the priority of the tickets that
// breached a clock (service.Escalate, which escalates each breach once).
const (
	EscalateKind   = "escalate"
	escalateSource = "sla"
	EscalateEvery  = 5 * time.Minute
	// escalateKeep is how long finished sweeps stay in the job list: one
	// every five minutes would otherwise bury the nightly jobs.
	escalateKeep = 24 * time.Hour
)

// deskMetrics counts the desk's work for /metrics.
type deskMetrics struct {
	escalations atomic.Int64 // tickets escalated since the start
	sweeps      atomic.Int64 // escalate jobs run
}

// escalateJob escalates the job's shop's breached tickets, logging each.
func (a *App) escalateJob(ctx context.Context, j *job.Job, _ func(string, float64)) (string, error) {
	esc, err := a.Desk.Escalate(ctx, j.ShopID)
	if err != nil {
		return "", err
	}
	a.desk.sweeps.Add(1)
	a.desk.escalations.Add(int64(len(esc)))
	for _, e := range esc {
		a.Log.Info("ticket escalated", "shop_id", j.ShopID, "ticket", e.TicketID, "clock", e.Clock, "from", e.From, "to", e.To)
	}
	a.pruneEscalateJobs(ctx, j.ShopID)
	return fmt.Sprintf("%d tickets escalated", len(esc)), nil
}

// pruneEscalateJobs deletes the shop's sweeps finished longer than
// escalateKeep ago; a failure is only logged, since the sweep itself
// succeeded.
func (a *App) pruneEscalateJobs(ctx context.Context, shopID int64) {
	before := a.Clock.Now().Add(-escalateKeep).Unix()
	if _, err := a.DB.Exec(ctx, `DELETE FROM jobs WHERE shop_id = ? AND kind = ? AND source = ? AND status IN ('done', 'failed') AND finished_at < ?`,
		shopID, EscalateKind, escalateSource, before); err != nil {
		a.Log.Warn("old escalate jobs not pruned", "shop_id", shopID, "err", err)
	}
}

// PlanEscalations queues, due now, an SLA sweep for every shop that has
// none queued. The scheduler runs them at its next poll.
func (a *App) PlanEscalations(ctx context.Context) error {
	shops, err := a.Shops.List(ctx)
	if err != nil {
		return err
	}
	now := a.Clock.Now()
	for _, sh := range shops {
		pending, err := a.Jobs.Pending(ctx, sh.ID, EscalateKind, escalateSource)
		if err != nil {
			return err
		}
		if pending {
			continue
		}
		if _, err := a.Jobs.Enqueue(ctx, sh.ID, EscalateKind, escalateSource, now); err != nil {
			return err
		}
	}
	return nil
}

// escalationLoop plans the sweeps at once and then every EscalateEvery
// until ctx is done; a new shop joins at the next round.
func (a *App) escalationLoop(ctx context.Context) {
	t := time.NewTicker(EscalateEvery)
	defer t.Stop()
	for {
		if err := a.PlanEscalations(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("SLA sweeps not planned", "err", err)
		}
		// The CSAT invitations' chain of runs starts here too, so a shop
		// created while the server runs is asked about its closed tickets
		// within minutes rather than from the next midnight's backstop.
		if err := a.PlanSurveys(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("CSAT invitations not planned", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// writeDeskMetrics adds the desk's counters to /metrics.
func (a *App) writeDeskMetrics(w http.ResponseWriter) {
	fmt.Fprintf(w, "# HELP guanxi_ticket_escalations_total Tickets whose priority an SLA breach raised.\n# TYPE guanxi_ticket_escalations_total counter\n")
	fmt.Fprintf(w, "guanxi_ticket_escalations_total %d\n", a.desk.escalations.Load())
	fmt.Fprintf(w, "# HELP guanxi_sla_sweeps_total SLA sweeps (escalate jobs) run.\n# TYPE guanxi_sla_sweeps_total counter\n")
	fmt.Fprintf(w, "guanxi_sla_sweeps_total %d\n", a.desk.sweeps.Load())
}
