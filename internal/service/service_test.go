package service_test

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var bg = context.Background()

var cst = time.FixedZone("CST", 8*3600)

// t0 is when the fixture's tickets are opened: a Monday morning in Shanghai.
var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, cst)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if guanxi.ErrorCode(err) != code {
		t.Fatalf("got %v (%q), want %s", err, guanxi.ErrorCode(err), code)
	}
}

// fixture is a shop with customers C1 (orders T1, T2) and C2 (order T3)
// imported through the importer, an agent wang in team 售后组 and one
// outsider who is no member of the shop.
type fixture struct {
	db       *store.DB
	clock    *guanxi.ManualClock
	shopID   int64
	svc      *service.Service
	c1, c2   int64
	t1, t3   int64 // order ids
	agent    int64
	outsider int64
	team     int64
	asAgent  context.Context // ctx acting as wang
	asLead   context.Context // ctx acting as a second user, zhang
	lead     int64
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, clock: guanxi.NewManualClock(t0)}
	sh := &shop.Shop{Code: "s1", Name: "西湖茶庄", Timezone: "Asia/Shanghai"}
	must(t, shop.NewService(db, f.clock).Create(bg, sh))
	f.shopID = sh.ID
	if _, err := importer.NewService(db, f.clock, slog.New(slog.DiscardHandler)).ImportFile(bg, sh, "testdata/orders.csv", importer.Options{Format: "generic"}); err != nil {
		t.Fatalf("import: %v", err)
	}
	orderOf := func(ext string) (order, customer int64) {
		t.Helper()
		must(t, db.QueryRow(bg, `SELECT id, customer_id FROM orders WHERE shop_id = ? AND external_id = ?`, f.shopID, ext).Scan(&order, &customer))
		return order, customer
	}
	f.t1, f.c1 = orderOf("T1")
	f.t3, f.c2 = orderOf("T3")
	users := auth.NewService(db, f.clock)
	wang, err := users.CreateUser(bg, "wang", "王客服", "correct horse battery")
	must(t, err)
	zhang, err := users.CreateUser(bg, "zhang", "张主管", "correct horse battery")
	must(t, err)
	out, err := users.CreateUser(bg, "li", "", "correct horse battery")
	must(t, err)
	must(t, users.AddMember(bg, f.shopID, wang.ID, auth.RoleAgent))
	must(t, users.AddMember(bg, f.shopID, zhang.ID, auth.RoleAdmin))
	team, err := users.CreateTeam(bg, f.shopID, "售后组")
	must(t, err)
	f.agent, f.lead, f.outsider, f.team = wang.ID, zhang.ID, out.ID, team.ID
	f.asAgent = audit.WithActor(bg, audit.Actor{UserID: wang.ID, Name: "user:wang"})
	f.asLead = audit.WithActor(bg, audit.Actor{UserID: zhang.ID, Name: "user:zhang"})
	f.svc = service.NewService(db, f.clock)
	return f
}

func (f *fixture) complaint(t *testing.T, priority string) *service.Ticket {
	t.Helper()
	tk := &service.Ticket{Kind: service.Complaint, Subject: "茶叶受潮", Body: "收到的龙井有霉味", CustomerID: f.c1, OrderID: f.t1,
		Channel: "phone", Priority: priority, AssigneeID: f.agent, TeamID: f.team}
	must(t, f.svc.Create(f.asAgent, f.shopID, tk))
	return tk
}

// holds returns how many contact holds the complaint has put on its customer.
func (f *fixture) holds(t *testing.T, tk *service.Ticket) int {
	t.Helper()
	var n int
	must(t, f.db.QueryRow(bg, `SELECT COUNT(*) FROM contact_holds WHERE shop_id = ? AND customer_id = ? AND reason = ?`,
		f.shopID, tk.CustomerID, "complaint:"+strconv.FormatInt(tk.ID, 10)).Scan(&n))
	return n
}

// validStep is the step that moves a complaint or ticket from its status
// to the next along the happy path.
func validStep(to string) service.Step {
	return service.Step{To: to, Cause: "logistics", Severity: "major", Solution: "补发一盒并赠送优惠券", Outcome: "客户满意", Reason: "客户再次来电"}
}

var complaintPath = []string{service.Confirmed, service.Assessed, service.SolutionProposed, service.Executed, service.FollowUp, service.Archived}

func TestComplaintWorkflow(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tk := f.complaint(t, service.Normal)
		if tk.Status != service.Received || tk.Version != 1 || tk.CreatedBy != f.agent || !tk.CreatedAt.Equal(t0) {
			t.Fatalf("created %+v", tk)
		}
		if f.holds(t, tk) != 1 {
			t.Fatal("a new complaint holds no promotions from its customer")
		}

		// Each step lacking what it requires is refused and changes nothing.
		missing := []struct {
			from string
			step service.Step
		}{
			{service.Confirmed, service.Step{To: service.Assessed, Severity: "major"}},
			{service.Confirmed, service.Step{To: service.Assessed, Cause: "weather", Severity: "major"}},
			{service.Confirmed, service.Step{To: service.Assessed, Cause: "product"}},
			{service.Assessed, service.Step{To: service.SolutionProposed, Solution: "  "}},
			{service.Executed, service.Step{To: service.FollowUp}},
		}

		// Walk every step, each by a different actor a quarter of an hour
		// apart, trying the incomplete steps on the way.
		actors := []context.Context{f.asAgent, f.asLead}
		for i, to := range complaintPath {
			for _, m := range missing {
				if m.from == tk.Status {
					_, err := f.svc.Transition(f.asAgent, f.shopID, tk.ID, tk.Version, m.step)
					wantCode(t, err, guanxi.EINVALID)
				}
			}
			f.clock.Advance(15 * time.Minute)
			next, err := f.svc.Transition(actors[i%2], f.shopID, tk.ID, tk.Version, validStep(to))
			must(t, err)
			if next.Status != to || next.Version != tk.Version+1 {
				t.Fatalf("step to %s: got %s version %d", to, next.Status, next.Version)
			}
			tk = next
		}
		if tk.Cause != "logistics" || tk.Severity != "major" || tk.Solution == "" || tk.Outcome != "客户满意" {
			t.Errorf("complaint facts not kept: %+v", tk)
		}
		if !tk.ResolvedAt.Equal(t0.Add(4*15*time.Minute)) || !tk.ClosedAt.Equal(t0.Add(6*15*time.Minute)) || !tk.FirstRespondedAt.Equal(t0.Add(15*time.Minute)) {
			t.Errorf("times: responded %v resolved %v closed %v", tk.FirstRespondedAt, tk.ResolvedAt, tk.ClosedAt)
		}
		if f.holds(t, tk) != 0 {
			t.Error("the archived complaint still holds promotions")
		}
		got, err := f.svc.Get(bg, f.shopID, tk.ID)
		must(t, err)
		if *got != *tk {
			t.Errorf("read back\n%+v\nreturned\n%+v", got, tk)
		}

		events, err := f.svc.Events(bg, f.shopID, tk.ID)
		must(t, err)
		if len(events) != 1+len(complaintPath) {
			t.Fatalf("%d events, want %d: %+v", len(events), 1+len(complaintPath), events)
		}
		if e := events[0]; e.Kind != "created" || e.To != service.Received || e.Actor != "user:wang" || e.ActorID != f.agent || !e.At.Equal(t0) {
			t.Errorf("created event %+v", e)
		}
		from := service.Received
		for i, e := range events[1:] {
			wantActor, wantID := "user:wang", f.agent
			if i%2 == 1 {
				wantActor, wantID = "user:zhang", f.lead
			}
			at := t0.Add(time.Duration(i+1) * 15 * time.Minute)
			if e.Kind != "status" || e.From != from || e.To != complaintPath[i] || e.Actor != wantActor || e.ActorID != wantID || !e.At.Equal(at) {
				t.Errorf("step %d: %+v, want %s → %s by %s at %v", i, e, from, complaintPath[i], wantActor, at)
			}
			from = complaintPath[i]
		}
		if events[2].Body != "logistics/major" || events[3].Body != "补发一盒并赠送优惠券" || events[5].Body != "客户满意" {
			t.Errorf("step details: %q %q %q", events[2].Body, events[3].Body, events[5].Body)
		}

		// Reopen: a reason is required; it goes back to confirmed, holds
		// promotions again and restarts the resolution clock.
		f.clock.Advance(24 * time.Hour)
		_, err = f.svc.Transition(f.asLead, f.shopID, tk.ID, tk.Version, service.Step{To: service.Confirmed})
		wantCode(t, err, guanxi.EINVALID)
		tk, err = f.svc.Transition(f.asLead, f.shopID, tk.ID, tk.Version, service.Step{To: service.Confirmed, Reason: "补发的茶叶也受潮"})
		must(t, err)
		if tk.Status != service.Confirmed || !tk.ClosedAt.IsZero() || !tk.ResolvedAt.IsZero() || !tk.SLAStartedAt.Equal(f.clock.Now()) ||
			!tk.ResolutionDue.Equal(f.clock.Now().Add(72*time.Hour)) {
			t.Errorf("reopened %+v", tk)
		}
		if f.holds(t, tk) != 1 {
			t.Error("the reopened complaint holds no promotions")
		}
		events, err = f.svc.Events(bg, f.shopID, tk.ID)
		must(t, err)
		if e := events[len(events)-1]; e.From != service.Archived || e.To != service.Confirmed || e.Body != "补发的茶叶也受潮" || e.Actor != "user:zhang" {
			t.Errorf("reopen event %+v", e)
		}
		for _, to := range complaintPath[1:] {
			tk, err = f.svc.Transition(f.asAgent, f.shopID, tk.ID, tk.Version, validStep(to))
			must(t, err)
		}
		if tk.Status != service.Archived || f.holds(t, tk) != 0 {
			t.Errorf("archived again: %s, holds %d", tk.Status, f.holds(t, tk))
		}

		// Notes and replies are part of the history too.
		must(t, f.svc.AddNote(f.asLead, f.shopID, tk.ID, "已通知仓库检查防潮包装"))
		events, err = f.svc.Events(bg, f.shopID, tk.ID)
		must(t, err)
		if e := events[len(events)-1]; e.Kind != "note" || e.Body != "已通知仓库检查防潮包装" || e.Actor != "user:zhang" {
			t.Errorf("note %+v", e)
		}
		wantCode(t, f.svc.Reply(f.asAgent, f.shopID, tk.ID, "您好"), guanxi.ECONFLICT) // archived: reopen first
		wantCode(t, f.svc.AddNote(f.asAgent, f.shopID, tk.ID, " "), guanxi.EINVALID)
	})
}

// walk returns a new ticket of kind moved along path with valid steps.
func (f *fixture) walk(t *testing.T, kind string, path []string) *service.Ticket {
	t.Helper()
	tk := &service.Ticket{Kind: kind, Subject: "问题", CustomerID: f.c2}
	must(t, f.svc.Create(f.asAgent, f.shopID, tk))
	for _, to := range path {
		var err error
		tk, err = f.svc.Transition(f.asAgent, f.shopID, tk.ID, tk.Version, validStep(to))
		must(t, err)
	}
	return tk
}

func TestIllegalTransitions(t *testing.T) {
	complaintStatuses := append([]string{service.Received}, complaintPath...)
	ticketStatuses := []string{service.Open, service.Pending, service.Solved, service.Closed}
	all := append(append([]string{}, complaintStatuses...), ticketStatuses...)
	all = append(all, "", "deleted")
	legal := map[string][]string{
		service.Received: {service.Confirmed}, service.Confirmed: {service.Assessed}, service.Assessed: {service.SolutionProposed},
		service.SolutionProposed: {service.Executed}, service.Executed: {service.FollowUp}, service.FollowUp: {service.Archived},
		service.Archived: {service.Confirmed},
		service.Open:     {service.Pending, service.Solved}, service.Pending: {service.Open, service.Solved},
		service.Solved: {service.Closed, service.Open}, service.Closed: {service.Open},
	}
	// paths reach each status from a new ticket.
	paths := map[string][]string{
		service.Open: nil, service.Pending: {service.Pending}, service.Solved: {service.Solved}, service.Closed: {service.Solved, service.Closed},
	}
	for i, s := range complaintStatuses {
		paths[s] = complaintPath[:i]
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for _, kind := range []string{service.Complaint, service.Refund} {
			statuses := ticketStatuses
			if kind == service.Complaint {
				statuses = complaintStatuses
			}
			for _, from := range statuses {
				tk := f.walk(t, kind, paths[from])
				for _, to := range all {
					if slices.Contains(legal[from], to) {
						continue
					}
					_, err := f.svc.Transition(f.asAgent, f.shopID, tk.ID, tk.Version, validStep(to))
					switch code := guanxi.ErrorCode(err); code {
					case guanxi.ECONFLICT:
						if msg := guanxi.ErrorMessage(err); !strings.Contains(msg, "from "+from+" to "+to) {
							t.Errorf("%s %s → %s: message %q names not both states", kind, from, to, msg)
						}
					case guanxi.EINVALID:
						if msg := guanxi.ErrorMessage(err); !strings.Contains(msg, `"`+to+`"`) {
							t.Errorf("%s %s → %q: message %q", kind, from, to, msg)
						}
					default:
						t.Errorf("%s %s → %q: got %v, want refused", kind, from, to, err)
					}
				}
				got, err := f.svc.Get(bg, f.shopID, tk.ID)
				must(t, err)
				if got.Status != from || got.Version != tk.Version {
					t.Errorf("%s: refused moves changed the ticket to %s version %d", from, got.Status, got.Version)
				}
			}
		}
	})
}

func TestTicketFlow(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tk := &service.Ticket{Kind: service.Delivery, Subject: "物流三天没更新", CustomerID: f.c2, OrderID: f.t3, Channel: "wechat"}
		must(t, f.svc.Create(f.asAgent, f.shopID, tk))
		if tk.Status != service.Open || tk.Priority != service.Normal {
			t.Fatalf("created %+v", tk)
		}
		var err error
		for _, st := range []service.Step{{To: service.Pending}, {To: service.Open}, {To: service.Solved}, {To: service.Closed}} {
			f.clock.Advance(time.Hour)
			tk, err = f.svc.Transition(f.asAgent, f.shopID, tk.ID, tk.Version, st)
			must(t, err)
		}
		if tk.ClosedAt.IsZero() || tk.ResolvedAt.IsZero() {
			t.Errorf("closed %+v", tk)
		}
		_, err = f.svc.Transition(f.asAgent, f.shopID, tk.ID, tk.Version, service.Step{To: service.Open})
		wantCode(t, err, guanxi.EINVALID)
		tk, err = f.svc.Transition(f.asAgent, f.shopID, tk.ID, tk.Version, service.Step{To: service.Open, Reason: "还是没收到"})
		must(t, err)
		if tk.Status != service.Open || !tk.ClosedAt.IsZero() {
			t.Errorf("reopened %+v", tk)
		}
		var n int
		must(t, db.QueryRow(bg, `SELECT COUNT(*) FROM contact_holds WHERE shop_id = ?`, f.shopID).Scan(&n))
		if n != 0 {
			t.Errorf("a delivery question put %d contact holds", n)
		}
	})
}

func TestCreateRefusesBadTickets(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for name, tk := range map[string]service.Ticket{
			"no customer":          {Kind: service.Consultation, Subject: "有货吗"},
			"unknown customer":     {Kind: service.Consultation, Subject: "有货吗", CustomerID: 999},
			"another's order":      {Kind: service.Return, Subject: "退货", CustomerID: f.c2, OrderID: f.t1},
			"unknown order":        {Kind: service.Return, Subject: "退货", CustomerID: f.c2, OrderID: 999},
			"no subject":           {Kind: service.Consultation, Subject: " ", CustomerID: f.c1},
			"bad kind":             {Kind: "praise", Subject: "好评", CustomerID: f.c1},
			"bad channel":          {Kind: service.Consultation, Subject: "x", CustomerID: f.c1, Channel: "fax"},
			"bad priority":         {Kind: service.Consultation, Subject: "x", CustomerID: f.c1, Priority: "asap"},
			"assignee not in shop": {Kind: service.Consultation, Subject: "x", CustomerID: f.c1, AssigneeID: f.outsider},
			"unknown team":         {Kind: service.Consultation, Subject: "x", CustomerID: f.c1, TeamID: 99},
		} {
			wantCodeNamed(t, name, f.svc.Create(f.asAgent, f.shopID, &tk), guanxi.EINVALID)
		}
		_, err := f.svc.Get(bg, f.shopID, 1)
		wantCode(t, err, guanxi.ENOTFOUND)
	})
}

func wantCodeNamed(t *testing.T, name string, err error, code string) {
	t.Helper()
	if guanxi.ErrorCode(err) != code {
		t.Errorf("%s: got %v, want %s", name, err, code)
	}
}

func TestOptimisticLocking(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tk := f.complaint(t, service.Normal)
		stale := tk.Version
		next, err := f.svc.Transition(f.asAgent, f.shopID, tk.ID, stale, validStep(service.Confirmed))
		must(t, err)
		_, err = f.svc.Transition(f.asLead, f.shopID, tk.ID, stale, validStep(service.Confirmed))
		wantCode(t, err, guanxi.ECONFLICT)
		_, err = f.svc.SetPriority(f.asLead, f.shopID, tk.ID, stale, service.High)
		wantCode(t, err, guanxi.ECONFLICT)
		_, err = f.svc.Assign(f.asLead, f.shopID, tk.ID, stale, f.lead, 0)
		wantCode(t, err, guanxi.ECONFLICT)
		got, err := f.svc.Get(bg, f.shopID, tk.ID)
		must(t, err)
		if got.Version != next.Version || got.Priority != service.Normal || got.AssigneeID != f.agent {
			t.Errorf("stale writes changed the ticket: %+v", got)
		}
		// With the current version the same changes go through.
		got, err = f.svc.Assign(f.asLead, f.shopID, tk.ID, got.Version, f.lead, 0)
		must(t, err)
		if got.AssigneeID != f.lead || got.TeamID != 0 {
			t.Errorf("assigned %+v", got)
		}
		// Notes take no version: they never conflict.
		must(t, f.svc.AddNote(f.asAgent, f.shopID, tk.ID, "客户要求电话回访"))
		_, err = f.svc.Transition(f.asLead, f.shopID, tk.ID, got.Version, validStep(service.Assessed))
		must(t, err)
	})
}

func TestSLA(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		byPriority := map[string]*service.Ticket{}
		for _, p := range service.Priorities {
			tk := &service.Ticket{Kind: service.Consultation, Subject: "咨询 " + p, CustomerID: f.c1, Priority: p}
			must(t, f.svc.Create(f.asAgent, f.shopID, tk))
			byPriority[p] = tk
		}
		for p, want := range map[string][2]time.Duration{
			service.Urgent: {15 * time.Minute, 4 * time.Hour},
			service.High:   {time.Hour, 24 * time.Hour},
			service.Normal: {4 * time.Hour, 72 * time.Hour},
			service.Low:    {24 * time.Hour, 7 * 24 * time.Hour},
		} {
			tk := byPriority[p]
			if !tk.FirstResponseDue.Equal(t0.Add(want[0])) || !tk.ResolutionDue.Equal(t0.Add(want[1])) {
				t.Errorf("%s: due %v / %v, want %v / %v", p, tk.FirstResponseDue, tk.ResolutionDue, t0.Add(want[0]), t0.Add(want[1]))
			}
		}

		// A shop's own clocks apply to tickets opened after the change.
		must(t, f.svc.SetSLA(f.asLead, f.shopID, service.Normal, service.SLA{FirstResponse: 2 * time.Hour, Resolution: 48 * time.Hour}))
		wantCode(t, f.svc.SetSLA(bg, f.shopID, "asap", service.SLA{FirstResponse: time.Hour, Resolution: time.Hour}), guanxi.EINVALID)
		wantCode(t, f.svc.SetSLA(bg, f.shopID, service.Low, service.SLA{FirstResponse: 0, Resolution: time.Hour}), guanxi.EINVALID)
		custom := &service.Ticket{Kind: service.Payment, Subject: "付款失败", CustomerID: f.c2}
		must(t, f.svc.Create(f.asAgent, f.shopID, custom))
		if !custom.FirstResponseDue.Equal(t0.Add(2*time.Hour)) || !custom.ResolutionDue.Equal(t0.Add(48*time.Hour)) {
			t.Errorf("custom SLA: due %v / %v", custom.FirstResponseDue, custom.ResolutionDue)
		}
		if got, _ := f.svc.Get(bg, f.shopID, byPriority[service.Normal].ID); !got.FirstResponseDue.Equal(t0.Add(4 * time.Hour)) {
			t.Errorf("an open ticket's due time moved with the policy: %v", got.FirstResponseDue)
		}

		// 13 minutes in: urgent is at risk (87% of 15 min), nothing breached.
		alerts, err := f.svc.Alerts(bg, f.shopID, t0.Add(13*time.Minute))
		must(t, err)
		if len(alerts) != 1 || alerts[0].TicketID != byPriority[service.Urgent].ID || alerts[0].Clock != service.FirstResponseClock || alerts[0].Breached {
			t.Fatalf("alerts at 13 min: %+v", alerts)
		}
		// 1h40 in: urgent breached its first response; high (1 h) too; the
		// custom normal ticket (2 h) is at risk at 83%.
		alerts, err = f.svc.Alerts(bg, f.shopID, t0.Add(100*time.Minute))
		must(t, err)
		want := []struct {
			id       int64
			breached bool
		}{{byPriority[service.Urgent].ID, true}, {byPriority[service.High].ID, true}, {custom.ID, false}}
		if len(alerts) != len(want) {
			t.Fatalf("alerts at 1h40: %+v", alerts)
		}
		for i, w := range want {
			if a := alerts[i]; a.TicketID != w.id || a.Breached != w.breached || a.Clock != service.FirstResponseClock {
				t.Errorf("alert %d: %+v, want ticket %d breached %v", i, a, w.id, w.breached)
			}
		}

		// A reply stops the first-response clock.
		f.clock.Set(t0.Add(10 * time.Minute))
		must(t, f.svc.Reply(f.asAgent, f.shopID, byPriority[service.Low].ID, "您好，我们正在核实"))
		low, err := f.svc.Get(bg, f.shopID, byPriority[service.Low].ID)
		must(t, err)
		if !low.FirstRespondedAt.Equal(t0.Add(10*time.Minute)) || low.Version != 1 {
			t.Errorf("after the reply: responded %v version %d", low.FirstRespondedAt, low.Version)
		}

		// Escalation at 1h40: urgent stays urgent, high becomes urgent, each
		// with one event; a second sweep changes nothing.
		f.clock.Set(t0.Add(100 * time.Minute))
		esc, err := f.svc.Escalate(bg, f.shopID)
		must(t, err)
		if len(esc) != 2 || esc[0] != (service.Escalation{TicketID: byPriority[service.High].ID, Clock: service.FirstResponseClock, From: service.High, To: service.Urgent}) ||
			esc[1] != (service.Escalation{TicketID: byPriority[service.Urgent].ID, Clock: service.FirstResponseClock, From: service.Urgent, To: service.Urgent}) {
			t.Fatalf("escalations: %+v", esc)
		}
		high, err := f.svc.Get(bg, f.shopID, byPriority[service.High].ID)
		must(t, err)
		if high.Priority != service.Urgent || !high.ResolutionDue.Equal(t0.Add(4*time.Hour)) || !high.ResponseEscalated || high.ResolutionEscalated {
			t.Errorf("escalated ticket %+v", high)
		}
		for range 2 {
			f.clock.Advance(time.Minute)
			again, err := f.svc.Escalate(bg, f.shopID)
			must(t, err)
			if len(again) != 0 {
				t.Fatalf("escalated twice: %+v", again)
			}
		}
		countEscalations := func(id int64) int {
			events, err := f.svc.Events(bg, f.shopID, id)
			must(t, err)
			n := 0
			for _, e := range events {
				if e.Kind == "escalation" {
					n++
				}
			}
			return n
		}
		if n := countEscalations(high.ID); n != 1 {
			t.Errorf("%d escalation events on the high ticket", n)
		}

		// Its resolution clock (now 4 h as urgent) breaches later: a new
		// breach, escalated once more; a ticket solved in time is not.
		_, err = f.svc.Transition(f.asAgent, f.shopID, byPriority[service.Urgent].ID, 2, service.Step{To: service.Solved})
		must(t, err)
		f.clock.Set(t0.Add(4*time.Hour + time.Second))
		esc, err = f.svc.Escalate(bg, f.shopID)
		must(t, err)
		var ids []int64
		for _, e := range esc {
			ids = append(ids, e.TicketID)
			if e.TicketID == high.ID && (e.Clock != service.ResolutionClock || e.To != service.Urgent) {
				t.Errorf("resolution escalation %+v", e)
			}
		}
		if !slices.Contains(ids, high.ID) || slices.Contains(ids, byPriority[service.Urgent].ID) {
			t.Errorf("escalated at 4h: %+v", esc)
		}
		if n := countEscalations(high.ID); n != 2 {
			t.Errorf("%d escalation events on the high ticket, want 2 (one per breach)", n)
		}

		// A priority change recomputes the due times from creation.
		normal := byPriority[service.Normal]
		normal, err = f.svc.Get(bg, f.shopID, normal.ID)
		must(t, err)
		changed, err := f.svc.SetPriority(f.asLead, f.shopID, normal.ID, normal.Version, service.Low)
		must(t, err)
		if !changed.FirstResponseDue.Equal(t0.Add(24*time.Hour)) || !changed.ResolutionDue.Equal(t0.Add(7*24*time.Hour)) {
			t.Errorf("after the change to low: due %v / %v", changed.FirstResponseDue, changed.ResolutionDue)
		}
	})
}

func TestList(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		c := f.complaint(t, service.High)                                              // C1, open
		q := f.walk(t, service.Consultation, []string{service.Solved, service.Closed}) // C2, closed
		r := f.walk(t, service.Refund, nil)                                            // C2, open
		ids := func(ts []service.Ticket, err error) []int64 {
			t.Helper()
			must(t, err)
			var out []int64
			for _, tk := range ts {
				out = append(out, tk.ID)
			}
			return out
		}
		yes, c2, complaint := true, f.c2, service.Complaint
		for name, tc := range map[string]struct {
			f    service.Filter
			want []int64
		}{
			"all":           {service.Filter{}, []int64{r.ID, q.ID, c.ID}},
			"open":          {service.Filter{Open: &yes}, []int64{r.ID, c.ID}},
			"customer":      {service.Filter{CustomerID: &c2}, []int64{r.ID, q.ID}},
			"kind":          {service.Filter{Kind: &complaint}, []int64{c.ID}},
			"page":          {service.Filter{Before: r.ID, Limit: 1}, []int64{q.ID}},
			"customer open": {service.Filter{CustomerID: &f.c1, Open: &yes}, []int64{c.ID}},
		} {
			if got := ids(f.svc.List(bg, f.shopID, tc.f)); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", name, got, tc.want)
			}
		}
		if got := ids(f.svc.List(bg, f.shopID+1, service.Filter{})); len(got) != 0 {
			t.Errorf("another shop sees %v", got)
		}
	})
}
