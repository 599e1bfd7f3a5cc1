package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/scorecard"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// The demo's service team: a shop of generated orders gets 90 days of
// tickets, complaints at every stage, tasks, surveys and care rules, and
// the pages that read them (scorecard, ticket list, survey results) have
// figures to show.
func TestSeedDemoService(t *testing.T) {
	storetest.Engines(t, testSeedDemoService)
}

func testSeedDemoService(t *testing.T, db *store.DB) {
	ctx := context.Background()
	a := openTest(t, db)
	now := a.Clock.Now()
	sh := demotest.Shop(t, a.DB, DemoShop, now, 3000, 9000)
	var out strings.Builder
	start := time.Now()
	if err := a.seedDemoService(ctx, sh, &out); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded in %v:\n%s", time.Since(start), out.String())
	if n := strings.Count(out.String(), "with password "); n != len(demoStaff) {
		t.Errorf("%d passwords shown, want %d:\n%s", n, len(demoStaff), out.String())
	}

	// Tickets: every kind, several channels, complaints at several steps.
	tickets, err := a.Desk.List(ctx, sh.ID, service.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(tickets) < 50 || len(tickets) > 70 {
		t.Errorf("%d tickets, want about 60", len(tickets))
	}
	kinds, channels, statuses := map[string]int{}, map[string]int{}, map[string]int{}
	for _, tk := range tickets {
		kinds[tk.Kind]++
		channels[tk.Channel]++
		if tk.Kind == service.Complaint {
			statuses[tk.Status]++
			if tk.Status == service.Archived && (tk.Cause == "" || tk.Severity == "" || tk.Solution == "" || tk.Outcome == "") {
				t.Errorf("archived complaint %d lacks its assessment: %+v", tk.ID, tk)
			}
		}
		if tk.CreatedAt.Before(now.AddDate(0, 0, -91)) || tk.CreatedAt.After(now) {
			t.Errorf("ticket %d created %v, outside the last 90 days", tk.ID, tk.CreatedAt)
		}
	}
	for _, k := range service.Kinds {
		if kinds[k] == 0 {
			t.Errorf("no %s ticket: %v", k, kinds)
		}
	}
	if len(channels) < 5 {
		t.Errorf("tickets from %d channels: %v", len(channels), channels)
	}
	open := 0
	for st, n := range statuses {
		if st != service.Archived {
			open += n
		}
	}
	if statuses[service.Archived] < 4 || len(statuses) < 3 || open < 2 {
		t.Errorf("complaint statuses %v: want several archived and some open at different steps", statuses)
	}
	var reopened, escalated int
	if err := a.DB.QueryRow(ctx, `SELECT
(SELECT COUNT(DISTINCT ticket_id) FROM ticket_events WHERE shop_id = ? AND kind = 'status' AND from_value = 'archived'),
(SELECT COUNT(*) FROM ticket_events WHERE shop_id = ? AND kind = 'escalation')`, sh.ID, sh.ID).Scan(&reopened, &escalated); err != nil {
		t.Fatal(err)
	}
	t.Logf("kinds %v, channels %v, complaint statuses %v, %d reopened, %d escalations", kinds, channels, statuses, reopened, escalated)
	if reopened < 2 || escalated < 1 {
		t.Errorf("%d complaints reopened, %d escalations: want 2 and at least 1", reopened, escalated)
	}

	// Tasks: some done with outcomes, some open, a few overdue.
	tasks, err := a.Desk.Tasks(ctx, sh.ID, service.TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var done, overdue, detractor int
	for _, k := range tasks {
		if k.Status == service.TaskDone && k.Outcome != "" {
			done++
		}
		if k.Overdue(now) {
			overdue++
		}
		if k.Kind == service.TaskDetractor {
			detractor++
		}
	}
	t.Logf("%d tasks: %d done, %d overdue, %d of detractors", len(tasks), done, overdue, detractor)
	if done < 5 || overdue < 2 || detractor < 3 {
		t.Errorf("%d tasks: %d done, %d overdue, %d of detractors", len(tasks), done, overdue, detractor)
	}

	// The scorecard of the last three months has work and satisfaction.
	loc := sh.Location()
	p, err := scorecard.ParsePeriod(now.In(loc).AddDate(0, -3, 0).Format(time.DateOnly), "", loc, now)
	if err != nil {
		t.Fatal(err)
	}
	card, err := a.Scorecard.Card(ctx, sh, p)
	if err != nil {
		t.Fatal(err)
	}
	if card.Shop.Handled == 0 || card.Shop.CSAT == nil || card.Shop.FirstResponse.N == 0 {
		t.Errorf("scorecard: %+v", card.Shop)
	}
	rated := 0
	for _, ag := range card.Agents {
		if ag.CSATResponses > 0 {
			rated++
		}
	}
	if rated < 2 || len(card.Teams) != 1 || card.Teams[0].Name != demoTeam {
		t.Errorf("scorecard: %d agents rated, teams %+v", rated, card.Teams)
	}

	// Surveys: an active CSAT and an NPS with answers over the months.
	svs, err := a.Surveys.List(ctx, sh.ID)
	if err != nil {
		t.Fatal(err)
	}
	var nps *survey.Survey
	for i := range svs {
		if svs[i].Kind == survey.NPS {
			nps = &svs[i]
		}
		if svs[i].Status != survey.Active {
			t.Errorf("survey %s is %s", svs[i].Title, svs[i].Status)
		}
	}
	if len(svs) != 2 || nps == nil {
		t.Fatalf("surveys: %+v", svs)
	}
	res, err := a.Surveys.SurveyResults(ctx, sh.ID, nps.ID, now.AddDate(0, -4, 0), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	months := 0
	for _, m := range res.Months {
		if m.NPSCount > 0 {
			months++
		}
	}
	t.Logf("NPS %+v over %d months; scorecard %+v", res.Total, months, card.Shop.KPI)
	if res.Total.NPSCount < 30 || res.Total.Detractors == 0 || res.Total.Promoters == 0 || months < 3 {
		t.Errorf("NPS results: %+v over %d months", res.Total, months)
	}
	all, err := a.Surveys.Results(ctx, sh.ID, now.AddDate(0, -4, 0), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if all.Total.Responses < 60 || all.Total.CSATCount < 15 || len(all.Agents) < 2 {
		t.Errorf("survey results: %+v, %d agents", all.Total, len(all.Agents))
	}

	// Care rules: two, enabled, each run once.
	rules, err := a.Care().List(ctx, sh.ID)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := a.Care().LastRuns(ctx, sh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || !rules[0].Enabled || !rules[1].Enabled || len(runs) != 2 {
		t.Errorf("care rules %+v, runs %+v", rules, runs)
	}
	// Canned replies and the assignment mode.
	canned, err := a.Desk.CannedReplies(ctx, sh.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.Desk.Settings(ctx, sh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(canned) < 4 || st.AssignMode != service.AssignRoundRobin || !slices.ContainsFunc(canned, func(c service.CannedReply) bool { return c.Title == "退款进度" }) {
		t.Errorf("%d canned replies, assignment %s", len(canned), st.AssignMode)
	}
}
