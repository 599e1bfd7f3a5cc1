// Package scorecard measures the service team and the CRM itself (issue 6
// §6; seed 002 §9.3.4 and §10.2; seed 000's evaluation): per agent and per
// team the tickets handled, first response and resolution times, SLA
// breaches, CSAT and follow-up tasks over a period, and month by month the
// CRM's effectiveness — repeat purchase, cohort retention, churn, lifecycle
// stages, CLV, NPS, CSAT and complaint rate — with the change since the
// month before. It only reads; a Service is safe for concurrent use.
//
// The definitions, which the fixture test checks figure by figure:
//
//   - A period is [From, To): from the start of its first day to the start
//     of the day after its last, in the shop's time zone.
//   - A ticket belongs to an agent when the agent is its current assignee;
//     to a team when its assignee is a member of the team (team_members), or
//     when it is unassigned and its team_id is the team. A member of two
//     teams counts in both.
//   - Handled: tickets resolved in the period, "resolved" being resolved_at
//     (executed complaint, solved ticket) or, for a ticket closed without
//     being resolved, closed_at.
//   - First response time: first_responded_at − created_at, over the
//     tickets created in the period that have had a first response.
//   - Resolution time: resolution (as above) − created_at, over the tickets
//     handled in the period. It runs from creation, not from sla_started_at:
//     a reopened ticket kept the customer waiting the whole time, which is
//     what the customer feels; the SLA clock restarting on reopen is the
//     breach count's business, not this one's.
//   - Percentiles are nearest-rank: p50 and p90 of n sorted times are the
//     values at rank ⌈p·n/100⌉ (1-based). No times, no percentile.
//   - SLA breaches: a first-response breach is a ticket whose
//     first_response_due falls in the period, before now, and that had no
//     first response by it; a resolution breach likewise with
//     resolution_due and the resolution. So every breach is counted once,
//     in the period its deadline fell in, judged on the ticket's current
//     clocks (a reopen restarts the resolution clock).
//   - CSAT: the CSAT responses (survey_responses kind csat) that rate the
//     agent (agent_id) and were given in the period; the rate is the share
//     scoring 4 or 5.
//   - Follow-up tasks: done = tasks of the agent finished in the period;
//     overdue = tasks of the agent due in the period, before now, and not
//     done by their due time (still open, or done late). Cancelled tasks
//     count in neither.
//   - Backlog (teams): tickets created before the period's end and not
//     closed by then.
//   - Complaint rate: complaint tickets created in the period per 1,000
//     purchase orders placed in it (orders with a purchase day, guests'
//     included); a team's is its own complaints over the shop's orders,
//     so a team's rate reads against the shop's.
package scorecard

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/analytics"
	"github.com/guanxi-crm/guanxi/internal/report"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// Service computes scorecards.
type Service struct {
	db      *store.DB
	clock   guanxi.Clock
	reports *report.Service
}

// NewService returns a Service. reports gives the lifecycle stages month
// by month; nil makes one of its own.
func NewService(db *store.DB, clock guanxi.Clock, reports *report.Service) *Service {
	if reports == nil {
		reports = report.NewService(db)
	}
	return &Service{db: db, clock: clock, reports: reports}
}

// Period is a span of whole days in a shop's zone: [From, To).
type Period struct {
	From, To time.Time
}

// FirstDay and LastDay are the period's first and last days, YYYY-MM-DD.
func (p Period) FirstDay() string { return p.From.Format(time.DateOnly) }

// LastDay is the period's last day, YYYY-MM-DD.
func (p Period) LastDay() string { return p.To.AddDate(0, 0, -1).Format(time.DateOnly) }

// maxPeriodDays bounds a period, so one request reads at most a year or so.
const maxPeriodDays = 400

// ParsePeriod reads a period from its first and last days (YYYY-MM-DD, both
// included) in loc. An empty from is the first day of now's month; an empty
// to is now's day.
func ParsePeriod(from, to string, loc *time.Location, now time.Time) (Period, error) {
	now = now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	p := Period{From: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc), To: today.AddDate(0, 0, 1)}
	if from != "" {
		d, err := time.ParseInLocation(time.DateOnly, from, loc)
		if err != nil {
			return p, guanxi.Errorf(guanxi.EINVALID, "from: expected a date such as 2025-06-01, got %q", from)
		}
		p.From = d
	}
	if to != "" {
		d, err := time.ParseInLocation(time.DateOnly, to, loc)
		if err != nil {
			return p, guanxi.Errorf(guanxi.EINVALID, "to: expected a date such as 2025-06-30, got %q", to)
		}
		p.To = d.AddDate(0, 0, 1)
	}
	if !p.From.Before(p.To) {
		return p, guanxi.Errorf(guanxi.EINVALID, "to: the last day %s is before the first %s", p.LastDay(), p.FirstDay())
	}
	if p.To.Sub(p.From) > maxPeriodDays*24*time.Hour+time.Hour { // an hour for a DST day
		return p, guanxi.Errorf(guanxi.EINVALID, "to: a period is at most %d days", maxPeriodDays)
	}
	return p, nil
}

// Times are the percentiles of a set of durations, in seconds.
type Times struct {
	N   int   `json:"n"`
	P50 int64 `json:"p50"` // 0 when N is 0
	P90 int64 `json:"p90"`
}

// KPI is one agent's or team's figures over a period.
type KPI struct {
	Handled            int      `json:"handled"`
	FirstResponse      Times    `json:"first_response"`
	Resolution         Times    `json:"resolution"`
	ResponseBreaches   int      `json:"response_breaches"`
	ResolutionBreaches int      `json:"resolution_breaches"`
	CSATResponses      int      `json:"csat_responses"`
	CSATSatisfied      int      `json:"csat_satisfied"` // scored 4 or 5
	CSAT               *float64 `json:"csat"`           // CSATSatisfied / CSATResponses; nil with no responses
	TasksDone          int      `json:"tasks_done"`
	TasksOverdue       int      `json:"tasks_overdue"`
}

// Breaches is both kinds of SLA breach.
func (k KPI) Breaches() int { return k.ResponseBreaches + k.ResolutionBreaches }

// Agent is one agent's row.
type Agent struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	KPI
}

// Team is one team's row, or the whole shop's (ID 0).
type Team struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	Members    []int64  `json:"members"`
	Backlog    int      `json:"backlog"`
	Complaints int      `json:"complaints"`
	Rate       *float64 `json:"complaints_per_1000_orders"` // nil with no orders in the period
	KPI
}

// Card is the scorecard of a period.
type Card struct {
	From   string  `json:"from"` // first day, YYYY-MM-DD
	To     string  `json:"to"`   // last day
	Orders int     `json:"orders"`
	Agents []Agent `json:"agents"`
	Teams  []Team  `json:"teams"`
	Shop   Team    `json:"shop"` // every ticket of the shop
}

// ticket is what the scorecard reads of a ticket.
type ticket struct {
	kind                    string
	assignee, team          int64 // 0 for none
	created, closed         int64 // closed 0 while open
	responded, resolved     int64 // 0 for none
	responseDue, resolveDue int64
}

// resolution is when the ticket was resolved: resolved_at, else closed_at.
func (t *ticket) resolution() int64 {
	if t.resolved != 0 {
		return t.resolved
	}
	return t.closed
}

type response struct {
	agent int64
	score int64
}

type task struct {
	assignee, team int64
	due, done      int64 // done 0 unless status done
	status         string
}

// data is everything a period's card is computed from.
type data struct {
	tickets   []ticket
	responses []response
	tasks     []task
	orders    int
	now       int64
	from, to  int64
}

// Card computes the shop's scorecard for p.
func (s *Service) Card(ctx context.Context, sh *shop.Shop, p Period) (*Card, error) {
	d, err := s.load(ctx, sh.ID, p)
	if err != nil {
		return nil, err
	}
	names, err := s.users(ctx, sh.ID)
	if err != nil {
		return nil, err
	}
	teams, err := s.teams(ctx, sh.ID)
	if err != nil {
		return nil, err
	}
	c := &Card{From: p.FirstDay(), To: p.LastDay(), Orders: d.orders, Agents: []Agent{}, Teams: []Team{}}
	// Agents: every agent of the shop, and anyone else with figures.
	ids := map[int64]bool{}
	for id, u := range names {
		if u.role == "agent" {
			ids[id] = true
		}
	}
	for _, t := range d.tickets {
		if t.assignee != 0 {
			ids[t.assignee] = true
		}
	}
	for _, r := range d.responses {
		ids[r.agent] = true
	}
	for _, t := range d.tasks {
		if t.assignee != 0 {
			ids[t.assignee] = true
		}
	}
	for id := range ids {
		one := func(a, team int64) bool { return a == id }
		name := names[id].name
		if name == "" {
			name = fmt.Sprintf("#%d", id)
		}
		c.Agents = append(c.Agents, Agent{UserID: id, Name: name, KPI: d.kpi(one, func(a int64) bool { return a == id })})
	}
	slices.SortFunc(c.Agents, func(a, b Agent) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.UserID, b.UserID)) })
	for _, tm := range teams {
		member := func(a int64) bool { return slices.Contains(tm.Members, a) }
		of := func(a, team int64) bool { return member(a) || a == 0 && team == tm.ID }
		c.Teams = append(c.Teams, d.team(tm, of, member))
	}
	c.Shop = d.team(Team{Name: "", Members: []int64{}}, func(int64, int64) bool { return true }, func(int64) bool { return true })
	return c, nil
}

// team fills a team's row from the tickets and tasks of owns and the
// responses rating its agents.
func (d *data) team(t Team, owns func(assignee, team int64) bool, rates func(agent int64) bool) Team {
	t.KPI = d.kpi(owns, rates)
	for _, tk := range d.tickets {
		if !owns(tk.assignee, tk.team) {
			continue
		}
		if tk.created < d.to && (tk.closed == 0 || tk.closed >= d.to) {
			t.Backlog++
		}
		if tk.kind == "complaint" && tk.created >= d.from && tk.created < d.to {
			t.Complaints++
		}
	}
	t.Rate = per1000(t.Complaints, d.orders)
	return t
}

func per1000(n, orders int) *float64 {
	if orders == 0 {
		return nil
	}
	v := float64(n) * 1000 / float64(orders)
	return &v
}

// kpi computes the figures of the tickets and tasks owns holds and the CSAT
// responses rating agents rates holds.
func (d *data) kpi(owns func(assignee, team int64) bool, rates func(agent int64) bool) KPI {
	var k KPI
	in := func(at int64) bool { return at >= d.from && at < d.to }
	cut := min(d.to, d.now) // deadlines after now have not passed yet
	due := func(at int64) bool { return at >= d.from && at < cut }
	var first, resolve []int64
	for _, t := range d.tickets {
		if !owns(t.assignee, t.team) {
			continue
		}
		if r := t.resolution(); r != 0 && in(r) {
			k.Handled++
			resolve = append(resolve, r-t.created)
		}
		if in(t.created) && t.responded != 0 {
			first = append(first, t.responded-t.created)
		}
		if due(t.responseDue) && (t.responded == 0 || t.responded > t.responseDue) {
			k.ResponseBreaches++
		}
		if r := t.resolution(); due(t.resolveDue) && (r == 0 || r > t.resolveDue) {
			k.ResolutionBreaches++
		}
	}
	k.FirstResponse, k.Resolution = percentiles(first), percentiles(resolve)
	for _, r := range d.responses {
		if rates(r.agent) {
			k.CSATResponses++
			if survey.Satisfied(int(r.score)) {
				k.CSATSatisfied++
			}
		}
	}
	k.CSAT = share(k.CSATSatisfied, k.CSATResponses)
	for _, t := range d.tasks {
		if !owns(t.assignee, t.team) {
			continue
		}
		if t.status == "done" && in(t.done) {
			k.TasksDone++
		}
		if due(t.due) && (t.status == "open" || t.status == "done" && t.done > t.due) {
			k.TasksOverdue++
		}
	}
	return k
}

func share(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	v := float64(n) / float64(of)
	return &v
}

// percentiles returns the nearest-rank p50 and p90 of v (reordered).
func percentiles(v []int64) Times {
	t := Times{N: len(v)}
	if len(v) == 0 {
		return t
	}
	slices.Sort(v)
	t.P50, t.P90 = analytics.NearestRank(v, 50), analytics.NearestRank(v, 90)
	return t
}

// load reads the tickets, CSAT responses, tasks and order count that the
// period's figures need.
func (s *Service) load(ctx context.Context, shopID int64, p Period) (*data, error) {
	d := &data{now: s.clock.Now().Unix(), from: p.From.Unix(), to: p.To.Unix()}
	// Tickets created before the end that were still open at the start, or
	// whose deadlines fall in or after it: every one that can count.
	rows, err := s.db.Query(ctx, `SELECT kind, COALESCE(assignee_id, 0), COALESCE(team_id, 0), created_at, COALESCE(closed_at, 0),
COALESCE(first_responded_at, 0), COALESCE(resolved_at, 0), first_response_due, resolution_due
FROM tickets WHERE shop_id = ? AND created_at < ?
AND (closed_at IS NULL OR closed_at >= ? OR resolved_at >= ? OR first_response_due >= ? OR resolution_due >= ?)`,
		shopID, d.to, d.from, d.from, d.from, d.from)
	if err != nil {
		return nil, fmt.Errorf("scorecard: tickets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t ticket
		if err := rows.Scan(&t.kind, &t.assignee, &t.team, &t.created, &t.closed, &t.responded, &t.resolved, &t.responseDue, &t.resolveDue); err != nil {
			return nil, fmt.Errorf("scorecard: tickets: %w", err)
		}
		d.tickets = append(d.tickets, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scorecard: tickets: %w", err)
	}
	rows.Close()

	rows, err = s.db.Query(ctx, `SELECT agent_id, score FROM survey_responses
WHERE shop_id = ? AND kind = 'csat' AND agent_id IS NOT NULL AND score IS NOT NULL AND responded_at >= ? AND responded_at < ?`, shopID, d.from, d.to)
	if err != nil {
		return nil, fmt.Errorf("scorecard: responses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r response
		if err := rows.Scan(&r.agent, &r.score); err != nil {
			return nil, fmt.Errorf("scorecard: responses: %w", err)
		}
		d.responses = append(d.responses, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scorecard: responses: %w", err)
	}
	rows.Close()

	rows, err = s.db.Query(ctx, `SELECT COALESCE(assignee_id, 0), COALESCE(team_id, 0), due_at, COALESCE(done_at, 0), status FROM tasks
WHERE shop_id = ? AND status <> 'cancelled' AND ((due_at >= ? AND due_at < ?) OR (done_at >= ? AND done_at < ?))`, shopID, d.from, d.to, d.from, d.to)
	if err != nil {
		return nil, fmt.Errorf("scorecard: tasks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t task
		if err := rows.Scan(&t.assignee, &t.team, &t.due, &t.done, &t.status); err != nil {
			return nil, fmt.Errorf("scorecard: tasks: %w", err)
		}
		d.tasks = append(d.tasks, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scorecard: tasks: %w", err)
	}
	rows.Close()

	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE shop_id = ? AND purchase_day IS NOT NULL AND placed_at >= ? AND placed_at < ?`,
		shopID, d.from, d.to).Scan(&d.orders); err != nil {
		return nil, fmt.Errorf("scorecard: orders: %w", err)
	}
	return d, nil
}

type user struct{ name, role string }

// users returns the shop's members by id, with their display names.
func (s *Service) users(ctx context.Context, shopID int64) (map[int64]user, error) {
	rows, err := s.db.Query(ctx, `SELECT u.id, COALESCE(NULLIF(u.display_name, ''), u.username), m.role
FROM shop_members m JOIN users u ON u.id = m.user_id WHERE m.shop_id = ?`, shopID)
	if err != nil {
		return nil, fmt.Errorf("scorecard: users: %w", err)
	}
	defer rows.Close()
	out := map[int64]user{}
	for rows.Next() {
		var id int64
		var u user
		if err := rows.Scan(&id, &u.name, &u.role); err != nil {
			return nil, fmt.Errorf("scorecard: users: %w", err)
		}
		out[id] = u
	}
	return out, rows.Err()
}

// teams returns the shop's teams with their members, by name.
func (s *Service) teams(ctx context.Context, shopID int64) ([]Team, error) {
	rows, err := s.db.Query(ctx, `SELECT t.id, t.name, m.user_id FROM teams t
LEFT JOIN team_members m ON m.shop_id = t.shop_id AND m.team_id = t.id
WHERE t.shop_id = ? ORDER BY t.name, t.id, m.user_id`, shopID)
	if err != nil {
		return nil, fmt.Errorf("scorecard: teams: %w", err)
	}
	defer rows.Close()
	var out []Team
	for rows.Next() {
		var id int64
		var name string
		var member sql.NullInt64
		if err := rows.Scan(&id, &name, &member); err != nil {
			return nil, fmt.Errorf("scorecard: teams: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, Team{ID: id, Name: name, Members: []int64{}})
		}
		if member.Valid {
			t := &out[len(out)-1]
			t.Members = append(t.Members, member.Int64)
		}
	}
	return out, rows.Err()
}

// ForAgent is the card as an agent sees it: the teams and the shop, and of
// the agents only their own row.
func (c *Card) ForAgent(userID int64) *Card {
	out := *c
	out.Agents = []Agent{}
	for _, a := range c.Agents {
		if a.UserID == userID {
			out.Agents = append(out.Agents, a)
		}
	}
	return &out
}
