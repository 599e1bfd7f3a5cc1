package scorecard_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/scorecard"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var (
	ctx = context.Background()
	cst = time.FixedZone("CST", 8*3600)
	// now is after the period, so every June deadline has passed.
	now = time.Date(2025, 7, 10, 12, 0, 0, 0, cst)
)

// at is a time in shop time (Asia/Shanghai) as unix seconds.
func at(month time.Month, day, hour, minute int) int64 {
	return time.Date(2025, month, day, hour, minute, 0, 0, cst).Unix()
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(ctx, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// fixture builds the hand-made shop of the tests' comments: three staff
// with two teams, six customers, orders over a year, eleven tickets with
// exact times, CSAT and NPS responses, and follow-up tasks.
func fixture(t *testing.T, db *store.DB) *shop.Shop {
	t.Helper()
	sh := &shop.Shop{Code: "sc", Name: "Scorecard", Timezone: "Asia/Shanghai"}
	if err := shop.NewService(db, guanxi.FixedClock(now)).Create(ctx, sh); err != nil {
		t.Fatal(err)
	}
	id := sh.ID
	for i, u := range []struct{ name, role string }{{"wang", "agent"}, {"li", "agent"}, {"zhao", "care"}, {"boss", "admin"}} {
		uid := int64(900 + i + 1) // 901 wang, 902 li, 903 zhao, 904 boss
		exec(t, db, `INSERT INTO users (id, username, password_hash, created_at, updated_at) VALUES (?, ?, 'x', 1, 1)`, uid, u.name+"-sc")
		exec(t, db, `INSERT INTO shop_members (shop_id, user_id, role, created_at) VALUES (?, ?, ?, 1)`, id, uid, u.role)
	}
	exec(t, db, `UPDATE users SET display_name = 'wang' WHERE id = 901`)
	exec(t, db, `UPDATE users SET display_name = 'li' WHERE id = 902`)
	exec(t, db, `UPDATE users SET display_name = 'zhao' WHERE id = 903`)
	exec(t, db, `INSERT INTO teams (shop_id, id, name, created_at) VALUES (?, 1, 'aftersale', 1), (?, 2, 'care', 1)`, id, id)
	exec(t, db, `INSERT INTO team_members (shop_id, team_id, user_id) VALUES (?, 1, 901), (?, 1, 902), (?, 2, 903)`, id, id, id)
	for c := 1; c <= 6; c++ {
		exec(t, db, `INSERT INTO customers (shop_id, id, created_at, updated_at) VALUES (?, ?, 1, 1)`, id, c)
	}
	// Orders at noon: customer (0 for a guest), date, purchase or not.
	type order struct {
		cust     int64
		y        int
		m        time.Month
		d        int
		purchase bool
	}
	orders := []order{
		{1, 2025, 4, 10, true}, {1, 2025, 5, 12, true}, {1, 2025, 6, 3, true},
		{2, 2025, 5, 20, true}, {2, 2025, 5, 20, true},
		{3, 2025, 6, 15, true}, {3, 2025, 6, 16, false}, // a cancelled order is no purchase
		{4, 2025, 3, 5, true}, {4, 2025, 6, 20, true},
		{5, 2024, 5, 1, true}, {5, 2025, 5, 25, true},
		{0, 2025, 6, 10, true}, // a guest
	}
	for i, o := range orders {
		placed := time.Date(o.y, o.m, o.d, 12, 0, 0, 0, cst)
		var cust, day any
		if o.cust != 0 {
			cust = o.cust
		}
		status := "cancelled"
		if o.purchase {
			day, status = o.y*10000+int(o.m)*100+o.d, "paid"
		}
		exec(t, db, `INSERT INTO orders (shop_id, id, platform, external_id, customer_id, status, placed_at, purchase_day, amount, content_hash, created_at, updated_at)
VALUES (?, ?, 'test', ?, ?, ?, ?, ?, 10000, 0, 1, 1)`, id, i+1, fmt.Sprint(i+1), cust, status, placed.Unix(), day)
	}
	// Tickets: id, kind, assignee (0 none), team, created, responded,
	// resolved, closed (0 for none), first response due, resolution due.
	type tk struct {
		id                                   int
		kind                                 string
		assignee, team                       int64
		created, responded, resolved, closed int64
		respDue, resDue                      int64
	}
	h := int64(3600)
	tickets := []tk{
		// wang: 10 min, 6 h; no breach.
		{1, "complaint", 901, 1, at(6, 2, 9, 0), at(6, 2, 9, 10), at(6, 2, 15, 0), at(6, 3, 10, 0), at(6, 2, 10, 0), at(6, 3, 9, 0)},
		// wang: 90 min and 26 h, both late.
		{2, "order", 901, 1, at(6, 5, 10, 0), at(6, 5, 11, 30), at(6, 6, 12, 0), at(6, 6, 12, 0), at(6, 5, 11, 0), at(6, 6, 10, 0)},
		// wang: 5 min, closed without resolving after an hour.
		{3, "consultation", 901, 1, at(6, 10, 8, 0), at(6, 10, 8, 5), 0, at(6, 10, 9, 0), at(6, 10, 9, 0), at(6, 11, 8, 0)},
		// wang: created in May, resolved in June after 38 h; its late
		// resolution's deadline fell in May.
		{4, "refund", 901, 1, at(5, 30, 20, 0), at(5, 30, 20, 30), at(6, 1, 10, 0), at(6, 1, 10, 0), at(5, 30, 21, 0), at(5, 31, 20, 0)},
		// wang: never answered; both deadlines passed in June.
		{5, "delivery", 901, 1, at(6, 28, 9, 0), 0, 0, 0, at(6, 28, 10, 0), at(6, 29, 9, 0)},
		// li: 20 min; reopened on 06-18, its clock restarted then, resolved
		// 06-20 10:00 after the new deadline; still open (follow-up).
		{6, "complaint", 902, 1, at(6, 15, 14, 0), at(6, 15, 14, 20), at(6, 20, 10, 0), 0, at(6, 15, 15, 0), at(6, 19, 10, 0)},
		// li: 30 min, 2 h.
		{7, "payment", 902, 1, at(6, 20, 9, 0), at(6, 20, 9, 30), at(6, 20, 11, 0), at(6, 21, 9, 0), at(6, 20, 10, 0), at(6, 21, 9, 0)},
		// li: a July complaint, outside the period.
		{8, "complaint", 902, 1, at(7, 2, 9, 0), at(7, 2, 9, 5), 0, 0, at(7, 2, 10, 0), at(7, 3, 9, 0)},
		// Unassigned in team 1's queue: both deadlines passed in June.
		{9, "consultation", 0, 1, at(6, 29, 20, 0), 0, 0, 0, at(6, 29, 21, 0), at(6, 30, 20, 0)},
		// An April ticket: nothing in June.
		{10, "order", 901, 1, at(4, 1, 9, 0), at(4, 1, 9, 5), at(4, 1, 10, 0), at(4, 2, 9, 0), at(4, 1, 10, 0), at(4, 2, 9, 0)},
		// A May complaint, for May's complaint rate.
		{11, "complaint", 902, 1, at(5, 15, 9, 0), at(5, 15, 9, 5), at(5, 15, 12, 0), at(5, 16, 9, 0), at(5, 15, 10, 0), at(5, 16, 9, 0)},
	}
	null := func(v int64) any {
		if v == 0 {
			return nil
		}
		return v
	}
	for _, k := range tickets {
		status := "open"
		if k.closed != 0 {
			status = "closed"
		}
		if k.kind == "complaint" {
			status = map[bool]string{true: "archived", false: "follow_up"}[k.closed != 0]
		}
		exec(t, db, `INSERT INTO tickets (shop_id, id, kind, subject, customer_id, channel, priority, assignee_id, team_id, status,
created_at, updated_at, closed_at, sla_started_at, first_response_due, resolution_due, first_responded_at, resolved_at)
VALUES (?, ?, ?, 's', 1, 'ui', 'normal', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, k.id, k.kind, null(k.assignee), k.team, status, k.created, k.created, null(k.closed), k.resDue-24*h, k.respDue, k.resDue, null(k.responded), null(k.resolved))
	}
	// Responses: CSAT rating an agent, NPS.
	exec(t, db, `INSERT INTO surveys (shop_id, id, kind, title, status, created_at, updated_at) VALUES (?, 1, 'csat', 'c', 'active', 1, 1), (?, 2, 'nps', 'n', 'active', 1, 1)`, id, id)
	type resp struct {
		survey int
		kind   string
		score  int
		agent  int64
		at     int64
	}
	resps := []resp{
		{1, "csat", 5, 901, at(6, 3, 10, 0)}, {1, "csat", 4, 901, at(6, 7, 10, 0)}, {1, "csat", 2, 901, at(6, 11, 10, 0)},
		{1, "csat", 3, 902, at(6, 22, 10, 0)},
		{1, "csat", 5, 901, at(5, 31, 10, 0)}, // May
		{2, "nps", 10, 0, at(6, 1, 10, 0)}, {2, "nps", 9, 0, at(6, 2, 10, 0)}, {2, "nps", 7, 0, at(6, 3, 10, 0)},
		{2, "nps", 3, 0, at(6, 4, 10, 0)}, {2, "nps", 0, 0, at(6, 5, 10, 0)},
		{2, "nps", 10, 0, at(5, 1, 10, 0)}, {2, "nps", 10, 0, at(5, 2, 10, 0)}, {2, "nps", 8, 0, at(5, 3, 10, 0)},
	}
	for i, r := range resps {
		exec(t, db, `INSERT INTO survey_responses (shop_id, id, survey_id, invite_id, customer_id, kind, score, agent_id, responded_at)
VALUES (?, ?, ?, ?, 2, ?, ?, ?, ?)`, id, i+1, r.survey, i+1, r.kind, r.score, null(r.agent), r.at)
	}
	// Tasks: assignee, team, due, done (0 none), status.
	type ts struct {
		assignee, team int64
		due, done      int64
		status         string
	}
	tasks := []ts{
		{901, 1, at(6, 10, 18, 0), at(6, 9, 18, 0), "done"},  // on time
		{901, 1, at(6, 12, 18, 0), at(6, 14, 18, 0), "done"}, // late: done and overdue
		{901, 1, at(6, 20, 18, 0), 0, "open"},                // overdue
		{903, 2, at(6, 25, 18, 0), 0, "open"},                // overdue
		{903, 2, at(7, 5, 18, 0), 0, "open"},                 // due in July
		{902, 1, at(6, 18, 18, 0), 0, "cancelled"},           // counts nowhere
		{902, 1, at(5, 20, 18, 0), at(6, 2, 18, 0), "done"},  // done in June, overdue in May
	}
	for i, k := range tasks {
		exec(t, db, `INSERT INTO tasks (shop_id, id, customer_id, kind, title, assignee_id, team_id, due_at, status, done_at, created_at)
VALUES (?, ?, 1, 'follow_up', 't', ?, ?, ?, ?, ?, 1)`, id, i+1, k.assignee, k.team, k.due, k.status, null(k.done))
	}
	// Scores of the latest run (no run row: no monthly stages).
	for _, s := range []struct {
		cust  int64
		stage string
		clv   any
	}{{1, "active", 100.5}, {2, "new", nil}, {3, "new", 50.5}} {
		exec(t, db, `INSERT INTO customer_scores (shop_id, customer_id, as_of, recency_days, frequency, monetary, r, f, m, segment_cn, segment,
lifecycle, tier, churn_risk, churn_reason, churn_reason_en, clv_12m, computed_at) VALUES (?, ?, '2025-06-30', 1, 1, 1, 1, 1, 1, 'x', 'x', ?, 'small', 'low', '', '', ?, 1)`,
			id, s.cust, s.stage, s.clv)
	}
	return sh
}

func ptr(v float64) *float64 { return &v }

func eqf(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 1e-9
}

func show(v *float64) any {
	if v == nil {
		return "nil"
	}
	return *v
}

// TestCardFixture checks every agent and team figure of June against the
// values worked out by hand in the fixture's comments (nearest-rank
// percentiles, in seconds).
func TestCardFixture(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := fixture(t, db)
		s := scorecard.NewService(db, guanxi.FixedClock(now), nil)
		p, err := scorecard.ParsePeriod("2025-06-01", "2025-06-30", sh.Location(), now)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Card(ctx, sh, p)
		if err != nil {
			t.Fatal(err)
		}
		if c.Orders != 4 || c.From != "2025-06-01" || c.To != "2025-06-30" {
			t.Errorf("orders %d, period %s..%s; want 4 in 2025-06-01..2025-06-30", c.Orders, c.From, c.To)
		}
		want := []scorecard.Agent{
			// li: first responses [1200 1800], resolutions [7200 417600].
			{UserID: 902, Name: "li", KPI: scorecard.KPI{Handled: 2,
				FirstResponse: scorecard.Times{N: 2, P50: 1200, P90: 1800}, Resolution: scorecard.Times{N: 2, P50: 7200, P90: 417600},
				ResolutionBreaches: 1, CSATResponses: 1, CSAT: ptr(0), TasksDone: 1}},
			// wang: first responses [300 600 5400], resolutions [3600 21600 93600 136800].
			{UserID: 901, Name: "wang", KPI: scorecard.KPI{Handled: 4,
				FirstResponse: scorecard.Times{N: 3, P50: 600, P90: 5400}, Resolution: scorecard.Times{N: 4, P50: 21600, P90: 136800},
				ResponseBreaches: 2, ResolutionBreaches: 2, CSATResponses: 3, CSATSatisfied: 2, CSAT: ptr(2.0 / 3), TasksDone: 2, TasksOverdue: 2}},
			{UserID: 903, Name: "zhao", KPI: scorecard.KPI{TasksOverdue: 1}},
		}
		if len(c.Agents) != len(want) {
			t.Fatalf("agents %+v, want %d", c.Agents, len(want))
		}
		for i, w := range want {
			checkKPI(t, w.Name, c.Agents[i].KPI, w.KPI)
			if c.Agents[i].UserID != w.UserID || c.Agents[i].Name != w.Name {
				t.Errorf("agent %d: %d %s, want %d %s", i, c.Agents[i].UserID, c.Agents[i].Name, w.UserID, w.Name)
			}
		}
		if len(c.Teams) != 2 || c.Teams[0].Name != "aftersale" || c.Teams[1].Name != "care" {
			t.Fatalf("teams %+v", c.Teams)
		}
		// aftersale: wang, li and the unassigned ticket 9. First responses
		// [300 600 1200 1800 5400]; resolutions [3600 7200 21600 93600
		// 136800 417600]; breaches 2+0+1 and 2+1+1; backlog tickets 5, 6, 9.
		after := scorecard.KPI{Handled: 6,
			FirstResponse: scorecard.Times{N: 5, P50: 1200, P90: 5400}, Resolution: scorecard.Times{N: 6, P50: 21600, P90: 417600},
			ResponseBreaches: 3, ResolutionBreaches: 4, CSATResponses: 4, CSATSatisfied: 2, CSAT: ptr(0.5), TasksDone: 3, TasksOverdue: 2}
		checkKPI(t, "aftersale", c.Teams[0].KPI, after)
		checkTeam(t, c.Teams[0], 3, 2, ptr(500))
		checkKPI(t, "care", c.Teams[1].KPI, scorecard.KPI{TasksOverdue: 1})
		checkTeam(t, c.Teams[1], 0, 0, ptr(0))
		shopWant := after
		shopWant.TasksOverdue = 3
		checkKPI(t, "shop", c.Shop.KPI, shopWant)
		checkTeam(t, c.Shop, 3, 2, ptr(500))

		// An agent sees only their own row.
		if a := c.ForAgent(901).Agents; len(a) != 1 || a[0].UserID != 901 {
			t.Errorf("ForAgent: %+v", a)
		}
		// Before the deadlines pass nothing is late: as of 06-05 10:30,
		// ticket 2's response (due 11:00) is not yet a breach.
		early := scorecard.NewService(db, guanxi.FixedClock(time.Date(2025, 6, 5, 10, 30, 0, 0, cst)), nil)
		c, err = early.Card(ctx, sh, p)
		if err != nil {
			t.Fatal(err)
		}
		if k := c.Shop.KPI; k.ResponseBreaches != 0 || k.ResolutionBreaches != 0 {
			t.Errorf("as of 06-05 10:30: %d response and %d resolution breaches, want 0 and 0", k.ResponseBreaches, k.ResolutionBreaches)
		}
	})
}

func checkKPI(t *testing.T, who string, got, want scorecard.KPI) {
	t.Helper()
	csat := eqf(got.CSAT, want.CSAT)
	got.CSAT, want.CSAT = nil, nil
	if got != want || !csat {
		t.Errorf("%s:\n got %+v\nwant %+v (CSAT equal: %v)", who, got, want, csat)
	}
}

func checkTeam(t *testing.T, tm scorecard.Team, backlog, complaints int, rate *float64) {
	t.Helper()
	if tm.Backlog != backlog || tm.Complaints != complaints || !eqf(tm.Rate, rate) {
		t.Errorf("team %q: backlog %d complaints %d rate %v; want %d %d %v", tm.Name, tm.Backlog, tm.Complaints, show(tm.Rate), backlog, complaints, show(rate))
	}
}

// TestEffectivenessFixture checks the CRM dashboard's months against the
// fixture worked out by hand.
func TestEffectivenessFixture(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := fixture(t, db)
		s := scorecard.NewService(db, guanxi.FixedClock(now), nil)
		last, err := scorecard.ParseMonth("2025-06", sh.Location(), now)
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.Effectiveness(ctx, sh, last)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Months) != 12 || e.Months[0].Month != "2024-07" || e.Months[11].Month != "2025-06" {
			t.Fatalf("months %d from %s", len(e.Months), e.Months[0].Month)
		}
		if m := e.Months[0]; m.Buyers != 0 || m.RepeatRate != nil || m.Customers != 1 || m.NPS != nil {
			t.Errorf("2024-07: %+v; want no buyers, c5 the one customer so far", m)
		}
		// May: buyers c1 c2 c5; c1 (April) and c5 (2024) returning; up to
		// May c1 c2 c4 c5 bought, c1 and c5 on two days; April's c1 came
		// back; 4 orders, 1 complaint; NPS 10 10 8; CSAT 5.
		may := e.Months[10]
		type fig struct {
			name      string
			got, want *float64
		}
		check := func(month string, figs []fig) {
			t.Helper()
			for _, f := range figs {
				if !eqf(f.got, f.want) {
					t.Errorf("%s %s: %v, want %v", month, f.name, show(f.got), show(f.want))
				}
			}
		}
		if may.Buyers != 3 || may.Returning != 2 || may.Customers != 4 || may.RepeatBuyers != 2 || may.PrevBuyers != 1 || may.Churned != 0 ||
			may.Orders != 4 || may.Complaints != 1 || may.NPSResponses != 3 || may.Promoters != 2 || may.Detractors != 0 || may.CSATResponses != 1 {
			t.Errorf("May counts %+v", may)
		}
		check("May", []fig{{"repeat", may.RepeatRate, ptr(2.0 / 3)}, {"cum", may.CumRepeatRate, ptr(0.5)}, {"churn", may.ChurnRate, ptr(0)},
			{"complaints", may.ComplaintRate, ptr(250)}, {"nps", may.NPS, ptr(200.0 / 3)}, {"csat", may.CSAT, ptr(1)}})
		// June: buyers c1 c3 c4 (the guest is no customer); c1 and c4
		// returning; up to June five customers, c1 c4 c5 on two days; of
		// May's three, c2 and c5 did not come back; 4 orders with the
		// guest's, 2 complaints; NPS 10 9 7 3 0; CSAT 5 4 2 3.
		jun := e.Months[11]
		if jun.Buyers != 3 || jun.Returning != 2 || jun.Customers != 5 || jun.RepeatBuyers != 3 || jun.PrevBuyers != 3 || jun.Churned != 2 ||
			jun.Orders != 4 || jun.Complaints != 2 || jun.NPSResponses != 5 || jun.Promoters != 2 || jun.Detractors != 2 || jun.CSATResponses != 4 || jun.CSATSatisfied != 2 {
			t.Errorf("June counts %+v", jun)
		}
		check("June", []fig{{"repeat", jun.RepeatRate, ptr(2.0 / 3)}, {"cum", jun.CumRepeatRate, ptr(0.6)}, {"churn", jun.ChurnRate, ptr(2.0 / 3)},
			{"complaints", jun.ComplaintRate, ptr(500)}, {"nps", jun.NPS, ptr(0)}, {"csat", jun.CSAT, ptr(0.5)}})
		// Changes since May.
		ch := jun.Change
		check("June change", []fig{
			{"buyers", &ch["buyers"].Abs, ptr(0)}, {"buyers rel", ch["buyers"].Rel, ptr(0)},
			{"cum", &ch["cum_repeat_rate"].Abs, ptr(0.1)}, {"cum rel", ch["cum_repeat_rate"].Rel, ptr(0.2)},
			{"churn", &ch["churn_rate"].Abs, ptr(2.0 / 3)}, {"churn rel", ch["churn_rate"].Rel, nil},
			{"complaints", &ch["complaint_rate"].Abs, ptr(250)}, {"complaints rel", ch["complaint_rate"].Rel, ptr(1)},
			{"nps", &ch["nps"].Abs, ptr(-200.0 / 3)}, {"nps rel", ch["nps"].Rel, ptr(-1)},
			{"csat", &ch["csat"].Abs, ptr(-0.5)}, {"csat rel", ch["csat"].Rel, ptr(-0.5)},
		})
		if e.Months[0].Change["repeat_rate"] != nil {
			t.Errorf("2024-07 repeat rate change %+v, want nil (no buyers)", e.Months[0].Change["repeat_rate"])
		}
		// Cohorts as of June 2025: from c5's 2024-05 to 2025-06.
		if len(e.Cohorts) != 14 || e.Cohorts[0].Cohort != "2024-05" {
			t.Fatalf("cohorts %+v", e.Cohorts)
		}
		byMonth := map[string][]float64{}
		for _, c := range e.Cohorts {
			byMonth[c.Cohort] = c.Retention
		}
		for month, want := range map[string][]float64{
			"2025-03": {1, 0, 0, 1}, "2025-04": {1, 1, 1}, "2025-05": {1, 0}, "2025-06": {1},
		} {
			got := byMonth[month]
			if len(got) != len(want) {
				t.Errorf("cohort %s: %v, want %v", month, got, want)
				continue
			}
			for k := range want {
				if got[k] != want[k] {
					t.Errorf("cohort %s: %v, want %v", month, got, want)
				}
			}
		}
		if r := byMonth["2024-05"]; len(r) != 14 || r[12] != 1 || r[11] != 0 {
			t.Errorf("cohort 2024-05: %v, want c5 back in month 12 only", r)
		}
		// The snapshot of the scores.
		if e.Stages["active"] != 1 || e.Stages["new"] != 2 || e.Scored != 3 || e.CLVN != 2 || !eqf(e.AvgCLV, ptr(75.5)) {
			t.Errorf("stages %v scored %d, CLV %v over %d; want active 1, new 2, 75.5 over 2", e.Stages, e.Scored, show(e.AvgCLV), e.CLVN)
		}
		if jun.Stages != nil {
			t.Errorf("monthly stages %v without a score run", jun.Stages)
		}
		// Scored, every month end has each customer who bought by then in
		// one lifecycle stage (the report package's flows).
		if _, err := score.NewService(db, guanxi.FixedClock(now), slog.New(slog.DiscardHandler)).Run(ctx, sh, time.Date(2025, 6, 30, 0, 0, 0, 0, sh.Location())); err != nil {
			t.Fatal(err)
		}
		if e, err = s.Effectiveness(ctx, sh, last); err != nil {
			t.Fatal(err)
		}
		for _, m := range e.Months {
			var n int64
			for _, c := range m.Stages {
				n += c
			}
			if m.Stages == nil || n != int64(m.Customers) {
				t.Errorf("%s: stages %v, want %d customers in all", m.Month, m.Stages, m.Customers)
			}
		}
		if e.Months[11].Stages["new"] != 1 { // c3, first bought on 06-15
			t.Errorf("June's stages %v: want c3 new", e.Months[11].Stages)
		}
	})
}

func TestParsePeriod(t *testing.T) {
	loc := cst
	p, err := scorecard.ParsePeriod("", "", loc, now)
	if err != nil || p.FirstDay() != "2025-07-01" || p.LastDay() != "2025-07-10" {
		t.Errorf("default %s..%s %v", p.FirstDay(), p.LastDay(), err)
	}
	for _, bad := range [][2]string{{"2025-13-01", ""}, {"2025-06-10", "2025-06-01"}, {"2023-01-01", "2025-01-01"}, {"x", ""}} {
		if _, err := scorecard.ParsePeriod(bad[0], bad[1], loc, now); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("%v: %v, want EINVALID", bad, err)
		}
	}
}
