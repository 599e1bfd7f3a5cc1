package app

import (
	"container/heap"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// The demo's service team (issue 6): its last 90 days replayed through the
// real services, so the desk, the complaint workflow, tasks, surveys, care
// rules and the scorecard all have something true to show.
//
// The days are replayed as a simulation: every action (a ticket opened, a
// reply, a workflow step, a task done, a survey answered, an SLA sweep) is
// an event at its own moment, run in time order with the desk's and the
// surveys' clock set to that moment. So event times, SLA due times and
// breaches, round-robin turns, CSAT invites (which look back from their
// clock) and detractor tasks' due days are what they would have been. An
// action whose moment is still in the future is not run: a ticket created
// yesterday stops where today leaves it.

// demoClock is the settable clock of the replay.
type demoClock struct{ t time.Time }

func (c *demoClock) Now() time.Time { return c.t }

// demoStaff is the demo shop's service team, besides admin.
var demoStaff = []struct {
	username, name string
	role           auth.Role
	skills         []string
	afterSale      bool // member of 售后组
}{
	{"li.na", "李娜", auth.RoleAgent, []string{service.Consultation, service.OrderKind, service.Payment, service.Delivery}, false},
	{"wang.fang", "王芳", auth.RoleAgent, []string{service.Return, service.Exchange, service.Refund, service.Complaint}, true},
	{"zhao.min", "赵敏", auth.RoleCare, []string{service.Complaint, service.Repair}, true},
}

// demoTeam is the team of the after-sale tickets.
const demoTeam = "售后组"

// demoSeed makes the replay the same on every run.
const demoSeed = 2026

// seedDemoService gives the demo shop its service team, settings, canned
// replies, ~60 tickets of the last 90 days with their history, tasks, a
// CSAT and an NPS survey with answers, and two care rules. It prints the
// team's generated passwords to out, once.
func (a *App) seedDemoService(ctx context.Context, sh *shop.Shop, out io.Writer) error {
	started := time.Now()
	now := time.Unix(a.Clock.Now().Unix(), 0)
	clk := &demoClock{t: now.AddDate(0, 0, -92)}
	desk := service.NewService(a.DB, clk)
	s := &demoService{a: a, sh: sh, loc: sh.Location(), now: now, clk: clk, desk: desk,
		surveys: survey.NewService(a.DB, clk, a.Segments, a.Campaigns, desk),
		rng:     rand.New(rand.NewPCG(demoSeed, 6)), users: map[int64]audit.Actor{}}
	s.sim = &demoSim{clk: clk, cutoff: now.Add(-10 * time.Minute)}
	if err := s.team(ctx, out); err != nil {
		return err
	}
	if err := s.setup(ctx); err != nil {
		return err
	}
	if err := s.tickets(ctx); err != nil {
		return err
	}
	if err := s.nps(ctx); err != nil {
		return err
	}
	if err := s.sim.run(ctx); err != nil {
		return err
	}
	if err := s.careRules(ctx); err != nil {
		return err
	}
	// The demo's survey answers are made up, and so are its sends: the
	// invites nobody "answered" count as sent when invited (so response
	// rates are a survey's, not 100%) and their links have expired, so they
	// never go out, even if someone sets up SMS or e-mail in the demo shop.
	if _, err := a.DB.Exec(ctx, `UPDATE survey_invites SET status = 'sent', sent_at = created_at,
expires_at = CASE WHEN expires_at < ? THEN expires_at ELSE ? END WHERE shop_id = ? AND status = 'queued'`, now.Unix(), now.Unix(), sh.ID); err != nil {
		return fmt.Errorf("demo: hold back unanswered survey invites: %w", err)
	}
	fmt.Fprintf(out, "Service desk: %d tickets (%d complaints), %d tasks, %d survey answers over the last 90 days in %.1fs.\n",
		s.nTickets, s.nComplaints, s.nTasks, s.nAnswers, time.Since(started).Seconds())
	return nil
}

// demoService is one run of the service seeding.
type demoService struct {
	a       *App
	sh      *shop.Shop
	loc     *time.Location
	now     time.Time
	clk     *demoClock
	sim     *demoSim
	desk    *service.Service
	surveys *survey.Service
	rng     *rand.Rand

	staff  []int64               // user ids, in demoStaff's order
	users  map[int64]audit.Actor // by user id
	teamID int64
	csatID int64
	npsID  int64
	orders []demoOrder

	nTickets, nComplaints, nTasks, nAnswers int
}

func (s *demoService) as(ctx context.Context, userID int64) context.Context {
	if a, ok := s.users[userID]; ok {
		return audit.WithActor(ctx, a)
	}
	return ctx
}

// care is the care user, who follows up.
func (s *demoService) care() int64 { return s.staff[2] }

// team creates (or reuses) the staff users, their roles, skills and team.
func (s *demoService) team(ctx context.Context, out io.Writer) error {
	a := s.a
	for _, m := range demoStaff {
		u, err := a.Auth.ByUsername(ctx, m.username)
		if guanxi.ErrorCode(err) == guanxi.ENOTFOUND {
			pw := randomPassword()
			if u, err = a.Auth.CreateUser(ctx, m.username, m.name, pw); err != nil {
				return fmt.Errorf("demo user %s: %w", m.username, err)
			}
			fmt.Fprintf(out, "Sign in as %s (%s, %s) with password %s (shown once).\n", m.username, m.name, m.role, pw)
		} else if err != nil {
			return err
		}
		if err := a.Auth.Grant(ctx, u.ID, s.sh.ID, m.role); err != nil {
			return err
		}
		if err := s.desk.SetSkills(ctx, s.sh.ID, u.ID, m.skills); err != nil {
			return fmt.Errorf("demo skills of %s: %w", m.username, err)
		}
		s.staff = append(s.staff, u.ID)
		s.users[u.ID] = audit.Actor{UserID: u.ID, Name: "user:" + m.username}
	}
	t, err := a.Auth.CreateTeam(ctx, s.sh.ID, demoTeam)
	if err != nil {
		return fmt.Errorf("demo team: %w", err)
	}
	s.teamID = t.ID
	for i, m := range demoStaff {
		if m.afterSale {
			if err := a.Auth.SetTeamMember(ctx, s.sh.ID, t.ID, s.staff[i], true); err != nil {
				return err
			}
		}
	}
	return nil
}

// setup saves the assignment mode, the canned replies and the surveys, as
// the team lead did 92 days ago.
func (s *demoService) setup(ctx context.Context) error {
	shopID := s.sh.ID
	lead := s.as(ctx, s.staff[1])
	if err := s.desk.SaveSettings(lead, shopID, service.Settings{AssignMode: service.AssignRoundRobin}); err != nil {
		return err
	}
	for _, c := range []service.CannedReply{
		{Title: "退款进度", Kind: service.Refund, Body: "{{name|亲}}您好，您订单 {{order}} 的退款已经提交，预计 1-3 个工作日原路退回，请留意支付账户的到账通知。"},
		{Title: "物流查询", Kind: service.Delivery, Body: "{{name|亲}}您好，已为您查询订单 {{order}} 的物流：包裹正在派送途中，预计 1-2 天送达。如有异常我们会第一时间联系快递处理。"},
		{Title: "致歉补发", Kind: service.Complaint, Body: "{{name|亲}}，非常抱歉给您带来不好的体验！我们已为您安排补发，新包裹 24 小时内发出，原商品无需寄回。{{shop}}再次向您致歉。"},
		{Title: "退货地址", Kind: service.Return, Body: "{{name|亲}}您好，请将商品寄回：上海市闵行区虹梅南路 1888 号 关系演示店售后部（收），包裹内请附上订单号 {{order}}，签收后 1-3 个工作日为您退款。"},
		{Title: "发票开具", Body: "您好，电子发票会在确认收货后 48 小时内发送到您预留的邮箱；需要专用发票请提供公司抬头和税号。"},
		{Title: "换货登记", Kind: service.Exchange, Body: "{{name|亲}}您好，换货已为您登记。请把商品寄回（运费由我们承担），仓库签收后 24 小时内为您发出新的。"},
	} {
		if err := s.desk.CreateCannedReply(lead, shopID, &c); err != nil {
			return fmt.Errorf("canned reply %s: %w", c.Title, err)
		}
	}
	care := s.as(ctx, s.care())
	csat := &survey.Survey{Kind: survey.CSAT, Title: "服务满意度评价", Intro: "感谢您联系我们！请为本次服务打分，帮助我们做得更好。", Channel: "sms", ExpiresDays: 14}
	if err := s.surveys.Create(care, shopID, csat); err != nil {
		return fmt.Errorf("csat survey: %w", err)
	}
	if _, err := s.surveys.SetStatus(care, shopID, csat.ID, csat.Version, survey.Active); err != nil {
		return fmt.Errorf("csat survey: %w", err)
	}
	s.csatID = csat.ID
	return nil
}

// demoOrder is an order a ticket may be about.
type demoOrder struct {
	id, customer int64
	number       string
	status       string
	placed       time.Time
	product      string
}

func (s *demoService) loadOrders(ctx context.Context) error {
	rows, err := s.a.DB.Query(ctx, `SELECT o.id, o.customer_id, o.external_id, o.status, o.placed_at,
COALESCE((SELECT l.name FROM order_lines l WHERE l.shop_id = o.shop_id AND l.order_id = o.id ORDER BY l.line_no LIMIT 1), '')
FROM orders o JOIN customers c ON c.shop_id = o.shop_id AND c.id = o.customer_id AND c.merged_into IS NULL
WHERE o.shop_id = ? AND o.placed_at >= ? AND o.placed_at < ? ORDER BY o.placed_at, o.id`,
		s.sh.ID, s.now.AddDate(0, 0, -115).Unix(), s.now.Add(-2*time.Hour).Unix())
	if err != nil {
		return fmt.Errorf("demo orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o demoOrder
		var placed int64
		if err := rows.Scan(&o.id, &o.customer, &o.number, &o.status, &placed, &o.product); err != nil {
			return err
		}
		o.placed = time.Unix(placed, 0)
		if o.product == "" {
			o.product = "商品"
		}
		s.orders = append(s.orders, o)
	}
	return rows.Err()
}

// pickOrder returns an unused order placed in [from, to), preferring the
// statuses given, or false.
func (s *demoService) pickOrder(from, to time.Time, used map[int64]bool, prefer ...string) (demoOrder, bool) {
	lo := sort.Search(len(s.orders), func(i int) bool { return !s.orders[i].placed.Before(from) })
	hi := sort.Search(len(s.orders), func(i int) bool { return !s.orders[i].placed.Before(to) })
	if lo >= hi {
		return demoOrder{}, false
	}
	var fallback *demoOrder
	for try := 0; try < 40; try++ {
		o := &s.orders[lo+s.rng.IntN(hi-lo)]
		if used[o.id] || o.status == "cancelled" || o.status == "pending" {
			continue
		}
		if len(prefer) == 0 || slices.Contains(prefer, o.status) {
			used[o.id] = true
			return *o, true
		}
		if fallback == nil {
			fallback = o
		}
	}
	if fallback != nil {
		used[fallback.id] = true
		return *fallback, true
	}
	return demoOrder{}, false
}

// demoTicket is the plan of one ticket.
type demoTicket struct {
	kind, channel, priority string
	created                 time.Time
	order                   demoOrder // id 0: none
	customer                int64
	text                    demoText
	reopen                  int    // 1: reopened and settled again; 2: reopened, still open
	breach                  string // "", service.FirstResponseClock or service.ResolutionClock
	callback                int    // 1: a callback task done; 2: one left open (overdue)
	pending                 bool   // waits on the customer once

	id int64
}

// tickets plans the tickets and schedules their histories.
func (s *demoService) tickets(ctx context.Context) error {
	if err := s.loadOrders(ctx); err != nil {
		return err
	}
	if len(s.orders) == 0 {
		return nil
	}
	// 48 tickets spread over the 90 days, 12 in the last five days so the
	// desk has work in hand; complaints are 9 + 5 of them.
	others := []string{service.Consultation, service.OrderKind, service.Payment, service.Delivery, service.Return, service.Exchange, service.Repair, service.Refund}
	var kinds []string
	for i := 0; i < 39; i++ {
		kinds = append(kinds, others[i%len(others)])
	}
	for i := 0; i < 9; i++ {
		kinds = append(kinds, service.Complaint)
	}
	s.rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	recent := []string{service.Complaint, service.Delivery, service.Complaint, service.Consultation, service.Refund, service.Complaint,
		service.Return, service.Complaint, service.OrderKind, service.Complaint, service.Exchange, service.Payment}
	var plan []*demoTicket
	for _, k := range kinds {
		plan = append(plan, &demoTicket{kind: k, created: s.workTime(s.now.Add(-time.Duration((5+s.rng.Float64()*84)*24) * time.Hour))})
	}
	for _, k := range recent {
		at := s.now.Add(-time.Duration(s.rng.Float64()*4.8*24) * time.Hour)
		if w := s.workTime(at); w.Before(s.sim.cutoff.Add(-time.Hour)) {
			at = w
		}
		plan = append(plan, &demoTicket{kind: k, created: at})
	}
	slices.SortStableFunc(plan, func(x, y *demoTicket) int { return x.created.Compare(y.created) })

	used := map[int64]bool{}
	texts := map[string]int{}
	var complaints []*demoTicket
	callbacks := 0
	for _, t := range plan {
		t.channel = s.channel(t.kind)
		t.priority = service.Normal
		switch t.kind {
		case service.Consultation:
			// A question before buying: the customer of an order placed
			// a day or two later, the ticket tied to no order.
			o, ok := s.pickOrder(t.created.Add(2*time.Hour), t.created.Add(72*time.Hour), used)
			if !ok {
				o, ok = s.pickOrder(t.created.AddDate(0, 0, -30), t.created, used)
			}
			if !ok {
				continue
			}
			t.customer, t.order = o.customer, demoOrder{number: o.number, product: o.product}
			if s.rng.IntN(3) == 0 {
				t.priority = service.Low
			}
		case service.OrderKind, service.Payment:
			o, ok := s.pickOrder(t.created.Add(-36*time.Hour), t.created.Add(-30*time.Minute), used, "paid", "shipped", "completed")
			if !ok {
				continue
			}
			t.customer, t.order = o.customer, o
		case service.Delivery:
			o, ok := s.pickOrder(t.created.AddDate(0, 0, -7), t.created.Add(-24*time.Hour), used, "shipped", "completed")
			if !ok {
				continue
			}
			t.customer, t.order = o.customer, o
		case service.Refund, service.Return:
			o, ok := s.pickOrder(t.created.AddDate(0, 0, -20), t.created.AddDate(0, 0, -2), used, "refunded", "partially_refunded", "completed")
			if !ok {
				continue
			}
			t.customer, t.order = o.customer, o
		default: // exchange, repair, complaint
			o, ok := s.pickOrder(t.created.AddDate(0, 0, -25), t.created.AddDate(0, 0, -2), used, "completed", "shipped")
			if !ok {
				continue
			}
			t.customer, t.order = o.customer, o
		}
		if t.kind == service.Complaint {
			complaints = append(complaints, t)
			// The seventh complainant is the second one back again, about
			// the same order: the repeat complainers of the analytics.
			if len(complaints) == 7 {
				used[t.order.id] = false
				t.customer, t.order = complaints[1].customer, complaints[1].order
			}
		}
		list := demoTexts[t.kind]
		t.text = list[texts[t.kind]%len(list)]
		texts[t.kind]++
		if t.kind == service.Payment && strings.Contains(t.text.subject, "扣款") {
			t.priority = service.High
		}
		old := s.now.Sub(t.created) > 8*24*time.Hour
		if t.kind != service.Complaint && old {
			t.pending = s.rng.IntN(4) == 0
			if s.rng.IntN(4) == 0 {
				callbacks++
				t.callback = 1
				if callbacks == 2 || callbacks == 4 {
					t.callback = 2
				}
			}
		}
	}
	// Special histories: two reopened complaints (one settled again, one
	// still being assessed), a first response and a resolution breached.
	var oldC []*demoTicket
	for _, t := range complaints {
		if s.now.Sub(t.created) > 8*24*time.Hour && t.customer != 0 {
			oldC = append(oldC, t)
		}
	}
	if n := len(oldC); n >= 4 {
		oldC[1].reopen = 1
		last := n - 1
		for last > 3 && s.now.Sub(oldC[last].created) < 12*24*time.Hour {
			last--
		}
		oldC[last].reopen = 2
		oldC[2].breach, oldC[2].priority = service.FirstResponseClock, service.High
	}
	for _, t := range complaints {
		if t.reopen == 0 && t.breach == "" && s.rng.IntN(3) == 0 {
			t.priority = service.High
		}
	}
	for _, t := range plan {
		if t.kind == service.Delivery && t.customer != 0 && s.now.Sub(t.created) > 20*24*time.Hour {
			t.breach = service.ResolutionClock
			break
		}
	}
	for _, t := range plan {
		if t.customer == 0 {
			continue
		}
		s.nTickets++
		if t.kind == service.Complaint {
			s.nComplaints++
			s.sim.chain(t.created, s.complaintSteps(t))
		} else {
			s.sim.chain(t.created, s.ticketSteps(t))
		}
	}
	return nil
}

// workTime moves t into the desk's working hours (09:00-21:00 shop time),
// keeping its day.
func (s *demoService) workTime(t time.Time) time.Time {
	l := t.In(s.loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 9, 0, 0, 0, s.loc)
	return day.Add(time.Duration(s.rng.IntN(12*60)) * time.Minute).Add(time.Duration(s.rng.IntN(60)) * time.Second)
}

// channel picks where a ticket of kind came from: chat tools and WeChat for
// questions, phone and e-mail for complaints, the platforms' after-sale
// API for refunds.
func (s *demoService) channel(kind string) string {
	var w []string
	switch kind {
	case service.Consultation, service.OrderKind:
		w = []string{"webhook", "webhook", "wechat", "wechat", "ui"}
	case service.Complaint:
		w = []string{"phone", "phone", "email", "wechat", "webhook"}
	case service.Refund, service.Return, service.Exchange:
		w = []string{"api", "api", "webhook", "wechat", "email"}
	default:
		w = []string{"webhook", "wechat", "phone", "email", "ui"}
	}
	return w[s.rng.IntN(len(w))]
}

// opener is who records a ticket of the channel: an agent for a call or a
// ticket typed in, the inbound source otherwise.
func (s *demoService) opener(ctx context.Context, t *demoTicket) context.Context {
	switch t.channel {
	case "ui", "phone":
		if t.kind == service.Consultation || t.kind == service.OrderKind || t.kind == service.Payment || t.kind == service.Delivery {
			return s.as(ctx, s.staff[0])
		}
		return s.as(ctx, s.staff[1])
	case "api":
		return audit.WithActor(ctx, audit.Actor{Name: "token:erp"})
	case "email":
		return audit.WithActor(ctx, audit.Actor{Name: "email:customer"})
	default:
		return audit.WithActor(ctx, audit.Actor{Name: t.channel + ":chat"})
	}
}

func (s *demoService) mins(lo, hi int) time.Duration {
	return time.Duration(lo+s.rng.IntN(hi-lo+1))*time.Minute + time.Duration(s.rng.IntN(60))*time.Second
}

// create opens the ticket.
func (s *demoService) create(t *demoTicket) demoStep {
	return demoStep{0, func(ctx context.Context, _ time.Time) error {
		tk := &service.Ticket{Kind: t.kind, Subject: t.text.fill(t.text.subject, t.order), Body: t.text.fill(t.text.body, t.order),
			CustomerID: t.customer, OrderID: t.order.id, Channel: t.channel, Priority: t.priority}
		if t.kind != service.Consultation && t.kind != service.OrderKind && t.kind != service.Payment && t.kind != service.Delivery {
			tk.TeamID = s.teamID
		}
		if err := s.desk.Create(s.opener(ctx, t), s.sh.ID, tk); err != nil {
			return fmt.Errorf("demo ticket %q: %w", tk.Subject, err)
		}
		t.id = tk.ID
		return nil
	}}
}

// assignee is the ticket's current assignee's context.
func (s *demoService) assignee(ctx context.Context, t *demoTicket) (context.Context, *service.Ticket, error) {
	tk, err := s.desk.Get(ctx, s.sh.ID, t.id)
	if err != nil {
		return nil, nil, err
	}
	who := tk.AssigneeID
	if who == 0 {
		who = s.staff[1]
	}
	return s.as(ctx, who), tk, nil
}

// step moves the ticket along its workflow as its assignee.
func (s *demoService) step(after time.Duration, t *demoTicket, st service.Step) demoStep {
	return demoStep{after, func(ctx context.Context, _ time.Time) error {
		actx, tk, err := s.assignee(ctx, t)
		if err != nil {
			return err
		}
		if _, err := s.desk.Transition(actx, s.sh.ID, t.id, tk.Version, st); err != nil {
			return fmt.Errorf("demo ticket %d to %s: %w", t.id, st.To, err)
		}
		return nil
	}}
}

func (s *demoService) text(after time.Duration, t *demoTicket, kind, body string) demoStep {
	return demoStep{after, func(ctx context.Context, _ time.Time) error {
		actx, _, err := s.assignee(ctx, t)
		if err != nil {
			return err
		}
		body := t.text.fill(body, t.order)
		if kind == "reply" {
			return s.desk.Reply(actx, s.sh.ID, t.id, body)
		}
		return s.desk.AddNote(actx, s.sh.ID, t.id, body)
	}}
}

// sweep is the SLA job's run at that moment.
func (s *demoService) sweep(after time.Duration) demoStep {
	return demoStep{after, func(ctx context.Context, _ time.Time) error {
		_, err := s.desk.Escalate(ctx, s.sh.ID)
		return err
	}}
}

// ticketSteps is the history of a ticket other than a complaint: a reply,
// perhaps a wait on the customer, solved, closed by the customer's
// confirmation, then the CSAT survey.
func (s *demoService) ticketSteps(t *demoTicket) []demoStep {
	first := s.mins(4, 150)
	if t.priority == service.High {
		first = s.mins(3, 40)
	}
	steps := []demoStep{s.create(t)}
	if t.breach == service.ResolutionClock {
		// Lost between the warehouse and the courier: solved only after
		// the resolution clock (72 h) ran out, escalated by the sweep.
		note := s.mins(60, 300)
		steps = append(steps, s.text(first, t, "reply", t.text.reply),
			s.text(note, t, "note", "仓库称已发出，快递查无此件，已向快递公司发起查件。"),
			s.sweep(72*time.Hour+10*time.Minute-first-note),
			s.text(s.mins(30, 120), t, "note", "超时未解决，已升级处理：改为补发并加急。"),
			s.step(s.mins(300, 600), t, service.Step{To: service.Solved, Note: "已补发顺丰加急，客户确认收到。"}))
	} else {
		steps = append(steps, s.text(first, t, "reply", t.text.reply))
		if s.rng.IntN(5) < 2 {
			steps = append(steps, s.text(s.mins(2, 30), t, "note", demoNotes[s.rng.IntN(len(demoNotes))]))
		}
		if t.pending && t.priority != service.High {
			steps = append(steps, s.step(s.mins(1, 10), t, service.Step{To: service.Pending, Note: "等待客户补充信息"}),
				s.step(s.mins(180, 1200), t, service.Step{To: service.Open, Note: "客户已补充照片和订单截图"}))
		}
		solve := s.mins(30, 24*60)
		if t.priority == service.High {
			solve = s.mins(30, 600)
		}
		steps = append(steps, s.step(solve, t, service.Step{To: service.Solved, Note: t.text.fill(t.text.solution, t.order)}))
	}
	if t.callback != 0 {
		steps = append(steps, s.task(s.mins(5, 60), t, service.TaskCallback, "回电确认："+t.text.fill(t.text.subject, t.order), 24*time.Hour,
			t.callback == 1, "已电话回访，客户确认问题已解决。"))
	}
	steps = append(steps, s.step(s.mins(24*60, 3*24*60), t, service.Step{To: service.Closed, Note: "客户确认，关闭工单"}))
	steps = append(steps, s.csat(t)...)
	return steps
}

// complaintSteps walks a complaint through seed 002 §7.2: confirmed with a
// reply, assessed, a solution proposed and executed, followed up by the
// care team (a task), archived, then surveyed; some are reopened.
func (s *demoService) complaintSteps(t *demoTicket) []demoStep {
	c := t.text
	confirm := s.mins(5, 45)
	if t.breach == service.FirstResponseClock {
		confirm = s.mins(150, 200) // after the high priority's hour: a breach
	}
	steps := []demoStep{s.create(t)}
	if t.breach == service.FirstResponseClock {
		steps = append(steps, s.sweep(65*time.Minute))
		confirm -= 65 * time.Minute
	}
	steps = append(steps, s.flow(confirm, t, c.cause, s.severity())...)
	if t.reopen != 0 {
		steps = append(steps, s.step(s.mins(2*24*60, 4*24*60), t, service.Step{To: service.Confirmed, Reason: "客户再次来电：补发的商品仍有同样的问题"}),
			s.text(s.mins(5, 30), t, "reply", "非常抱歉问题再次出现，我们已重新受理，主管会亲自跟进。"),
			s.step(s.mins(60, 180), t, service.Step{To: service.Assessed, Cause: c.cause, Severity: "major", Note: "同批次商品存在质量问题，已通知采购下架"}))
		if t.reopen == 1 {
			steps = append(steps,
				s.step(s.mins(30, 120), t, service.Step{To: service.SolutionProposed, Solution: "全额退款并赠送 50 元无门槛券"}),
				s.step(s.mins(60, 240), t, service.Step{To: service.Executed, Note: "退款已原路退回，优惠券已发放"}),
				s.step(s.mins(24*60, 48*60), t, service.Step{To: service.FollowUp, Outcome: "客户收到退款，表示会继续关注本店"}),
				s.step(s.mins(60, 600), t, service.Step{To: service.Archived, Note: "二次结案"}))
			steps = append(steps, s.csat(t)...)
		}
		return steps
	}
	return append(steps, s.csat(t)...)
}

// flow is a complaint's way from received to archived.
func (s *demoService) flow(confirm time.Duration, t *demoTicket, cause, severity string) []demoStep {
	c := t.text
	var taskID int64
	return []demoStep{
		s.step(confirm, t, service.Step{To: service.Confirmed, Note: "已致电客户，核实情况属实"}),
		s.text(s.mins(1, 5), t, "reply", c.reply),
		s.step(s.mins(30, 180), t, service.Step{To: service.Assessed, Cause: cause, Severity: severity, Note: c.fill(c.note, t.order)}),
		s.step(s.mins(30, 240), t, service.Step{To: service.SolutionProposed, Solution: c.fill(c.solution, t.order)}),
		s.step(s.mins(120, 840), t, service.Step{To: service.Executed, Note: "方案已执行"}),
		{s.mins(5, 30), func(ctx context.Context, at time.Time) error {
			k := &service.Task{CustomerID: t.customer, TicketID: t.id, Kind: service.TaskFollowUp, Title: "投诉回访：" + c.fill(c.subject, t.order),
				Body: "确认方案执行到位、客户是否满意", AssigneeID: s.care(), DueAt: at.Add(48 * time.Hour)}
			if _, err := s.desk.OpenTask(s.as(ctx, s.staff[1]), s.sh.ID, k); err != nil {
				return err
			}
			s.nTasks++
			taskID = k.ID
			return nil
		}},
		{s.mins(20*60, 40*60), func(ctx context.Context, at time.Time) error {
			k, err := s.desk.Task(ctx, s.sh.ID, taskID)
			if err != nil {
				return err
			}
			if _, err := s.desk.FinishTask(s.as(ctx, s.care()), s.sh.ID, taskID, k.Version, service.TaskDone, c.outcome); err != nil {
				return err
			}
			return nil
		}},
		s.step(s.mins(1, 10), t, service.Step{To: service.FollowUp, Outcome: c.outcome}),
		s.step(s.mins(60, 24*60), t, service.Step{To: service.Archived, Note: "客户确认，结案归档"}),
	}
}

func (s *demoService) severity() string {
	switch n := s.rng.IntN(10); {
	case n < 5:
		return "minor"
	case n < 9:
		return "major"
	}
	return "critical"
}

// task opens a task for the ticket's assignee due after due, and finishes
// it (done) some hours later unless left open.
func (s *demoService) task(after time.Duration, t *demoTicket, kind, title string, due time.Duration, finish bool, outcome string) demoStep {
	return demoStep{after, func(ctx context.Context, at time.Time) error {
		actx, tk, err := s.assignee(ctx, t)
		if err != nil {
			return err
		}
		k := &service.Task{CustomerID: t.customer, TicketID: t.id, Kind: kind, Title: title, AssigneeID: tk.AssigneeID, DueAt: at.Add(due)}
		if _, err := s.desk.OpenTask(actx, s.sh.ID, k); err != nil {
			return err
		}
		s.nTasks++
		if finish {
			s.sim.at(at.Add(s.mins(3*60, 20*60)), func(ctx context.Context) error {
				cur, err := s.desk.Task(ctx, s.sh.ID, k.ID)
				if err != nil {
					return err
				}
				_, err = s.desk.FinishTask(actx, s.sh.ID, cur.ID, cur.Version, service.TaskDone, outcome)
				return err
			})
		}
		return nil
	}}
}

// csat is what follows a ticket's close: the survey job invites its
// customer, who answers (three in four do) a few hours later.
func (s *demoService) csat(t *demoTicket) []demoStep {
	answers := s.rng.IntN(4) != 0
	score := s.csatScore(t)
	return []demoStep{
		{s.mins(10, 20), func(ctx context.Context, _ time.Time) error {
			_, err := s.surveys.InviteClosedTickets(ctx, s.sh.ID)
			return err
		}},
		{s.mins(60, 30*60), func(ctx context.Context, _ time.Time) error {
			if !answers {
				return nil
			}
			invs, err := s.surveys.Invites(ctx, s.sh.ID, s.csatID, 50)
			if err != nil {
				return err
			}
			for i := range invs {
				if invs[i].TicketID == t.id && invs[i].Status != survey.Answered {
					return s.answer(ctx, &invs[i], score, csatComments[score][s.rng.IntN(len(csatComments[score]))])
				}
			}
			return nil
		}},
	}
}

func (s *demoService) csatScore(t *demoTicket) int {
	n := s.rng.IntN(100)
	if t.kind == service.Complaint || t.breach != "" {
		n -= 12
	}
	switch {
	case n >= 40:
		return 5
	case n >= 14:
		return 4
	case n >= 5:
		return 3
	case n >= 0:
		return 2
	}
	return 1
}

// answer responds to an invite through its signed link, as the customer,
// and has the care team follow up a detractor: most done a day later.
func (s *demoService) answer(ctx context.Context, inv *survey.Invite, score int, comment string) error {
	token, err := s.surveys.Token(ctx, s.sh.ID, inv)
	if err != nil {
		return err
	}
	r, err := s.surveys.Respond(ctx, token, survey.Answer{Score: &score, Comment: comment})
	if err != nil {
		return fmt.Errorf("demo survey answer: %w", err)
	}
	s.nAnswers++
	if r.TaskID == 0 {
		return nil
	}
	s.nTasks++
	at := s.clk.Now()
	// The care team is behind on a few: some of the last fortnight's and
	// the odd older one are still open.
	leave := s.rng.IntN(12) == 0 || s.now.Sub(at) < 14*24*time.Hour && s.rng.IntN(2) == 0
	care := s.as(ctx, s.care())
	s.sim.at(at.Add(s.mins(30, 180)), func(ctx context.Context) error {
		k, err := s.desk.Task(ctx, s.sh.ID, r.TaskID)
		if err != nil {
			return err
		}
		if k, err = s.desk.AssignTask(care, s.sh.ID, k.ID, k.Version, s.care(), s.teamID); err != nil {
			return err
		}
		if leave {
			return nil
		}
		s.sim.at(s.clk.Now().Add(s.mins(4*60, 26*60)), func(ctx context.Context) error {
			k, err := s.desk.Task(ctx, s.sh.ID, r.TaskID)
			if err != nil {
				return err
			}
			_, err = s.desk.FinishTask(care, s.sh.ID, k.ID, k.Version, service.TaskDone, detractorOutcomes[s.rng.IntN(len(detractorOutcomes))])
			return err
		})
		return nil
	})
	return nil
}

// nps sends the quarterly NPS survey to the loyal customers (six orders or
// more) of three provinces 88 days ago, a few hundred of them; 55 answer
// over the following months, more satisfied as the service improves.
func (s *demoService) nps(ctx context.Context) error {
	care := s.as(ctx, s.care())
	r, err := segment.ParseRule([]byte(`{"all":[{"field":"orders_count","op":"gte","value":6},{"field":"province","op":"in","value":["广东省","江苏省","浙江省"]}]}`))
	if err != nil {
		return err
	}
	seg := &segment.Segment{Name: "NPS 调研：江浙粤六单以上老客", Rule: r}
	if err := s.a.Segments.Create(care, s.sh.ID, seg); err != nil {
		return fmt.Errorf("nps segment: %w", err)
	}
	sent := s.workTime(s.now.AddDate(0, 0, -88))
	s.sim.at(sent, func(ctx context.Context) error {
		sv := &survey.Survey{Kind: survey.NPS, Title: "您会向朋友推荐我们吗？", Intro: "占用您 1 分钟：您有多大可能把关系演示店推荐给朋友？",
			Channel: "sms", SegmentID: seg.ID, ExpiresDays: 90}
		if err := s.surveys.Create(care, s.sh.ID, sv); err != nil {
			return fmt.Errorf("nps survey: %w", err)
		}
		if _, err := s.surveys.SetStatus(care, s.sh.ID, sv.ID, sv.Version, survey.Active); err != nil {
			return fmt.Errorf("nps survey: %w", err)
		}
		s.npsID = sv.ID
		if _, err := s.surveys.Send(care, s.sh.ID, sv.ID); err != nil {
			return fmt.Errorf("nps survey: %w", err)
		}
		invs, err := s.surveys.Invites(ctx, s.sh.ID, sv.ID, 100000)
		if err != nil {
			return err
		}
		slices.SortFunc(invs, func(x, y survey.Invite) int { return int(x.ID - y.ID) })
		s.rng.Shuffle(len(invs), func(i, j int) { invs[i], invs[j] = invs[j], invs[i] })
		span := s.sim.cutoff.Sub(sent) - 2*time.Hour
		for i := range invs[:min(55, len(invs))] {
			inv := invs[i]
			// Answers come early more often than late, and the later
			// ones are happier.
			f := s.rng.Float64()
			f *= f * 0.5
			if i%2 == 0 {
				f = s.rng.Float64()
			}
			at := s.workTime(sent.Add(time.Duration(f * float64(span))))
			if !at.After(sent) || at.After(s.sim.cutoff) {
				at = sent.Add(time.Duration(f*float64(span)) + time.Hour)
			}
			score := s.npsScore(f)
			s.sim.at(at, func(ctx context.Context) error {
				return s.answer(ctx, &inv, score, npsComment(score, s.rng))
			})
		}
		return nil
	})
	return nil
}

// npsScore draws a score at the share f of the period: detractors fall
// from 22% to 8%, promoters rise from 45% to 65%.
func (s *demoService) npsScore(f float64) int {
	det, pro := 0.22-0.14*f, 0.45+0.20*f
	switch x := s.rng.Float64(); {
	case x < det:
		return []int{2, 3, 4, 5, 5, 6, 6, 6}[s.rng.IntN(8)]
	case x < 1-pro:
		return 7 + s.rng.IntN(2)
	}
	return 9 + s.rng.IntN(2)
}

// careRules adds two enabled care rules and runs them once, now: their
// actions are points and tasks, so nothing is sent.
func (s *demoService) careRules(ctx context.Context) error {
	cs := s.a.Care()
	ctx = s.as(ctx, s.care())
	for _, r := range []*care.Rule{
		{Name: "生日祝福：赠送 200 积分", Enabled: true, Trigger: care.Birthday, Days: 0, Action: care.Points, Params: care.Params{Points: 200}},
		{Name: "签收后 7 天回访（累计消费满 3000 元）", Enabled: true, Trigger: care.AfterDelivery, Days: 7, MinSpend: guanxi.Money(300000), Action: care.Task,
			Params: care.Params{Title: "签收 7 天回访：使用体验如何", DueDays: 2, AssigneeID: s.care(), TeamID: s.teamID}},
	} {
		if err := cs.Create(ctx, s.sh.ID, r); err != nil {
			return fmt.Errorf("care rule %s: %w", r.Name, err)
		}
		if _, err := cs.Run(ctx, s.sh.ID, r.ID); err != nil {
			return fmt.Errorf("care rule %s: %w", r.Name, err)
		}
	}
	return nil
}

// The replay's event queue.

type demoStep struct {
	after time.Duration
	do    func(ctx context.Context, at time.Time) error
}

type demoAct struct {
	at  time.Time
	seq int
	do  func(context.Context) error
}

type demoQueue []demoAct

func (q demoQueue) Len() int { return len(q) }
func (q demoQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q demoQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *demoQueue) Push(x any)   { *q = append(*q, x.(demoAct)) }
func (q *demoQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// demoSim runs actions in time order on its clock, dropping those after
// cutoff (they have not happened yet).
type demoSim struct {
	clk    *demoClock
	cutoff time.Time
	q      demoQueue
	seq    int
}

func (s *demoSim) at(t time.Time, do func(context.Context) error) {
	if t.After(s.cutoff) {
		return
	}
	s.seq++
	heap.Push(&s.q, demoAct{at: time.Unix(t.Unix(), 0), seq: s.seq, do: do})
}

// chain schedules steps one after the other from start, each its after
// past the one before; a step not yet due ends the chain there.
func (s *demoSim) chain(start time.Time, steps []demoStep) {
	var next func(i int, t time.Time)
	next = func(i int, t time.Time) {
		if i == len(steps) {
			return
		}
		t = t.Add(steps[i].after)
		s.at(t, func(ctx context.Context) error {
			if err := steps[i].do(ctx, t); err != nil {
				return err
			}
			next(i+1, t)
			return nil
		})
	}
	next(0, start)
}

func (s *demoSim) run(ctx context.Context) error {
	for s.q.Len() > 0 {
		a := heap.Pop(&s.q).(demoAct)
		if a.at.After(s.clk.t) {
			s.clk.t = a.at
		}
		if err := a.do(ctx); err != nil {
			return err
		}
	}
	return nil
}
