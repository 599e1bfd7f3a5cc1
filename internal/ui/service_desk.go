package ui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/service"
)

// canWorkTickets: admins, service agents and care staff open, answer and
// move tickets and follow-up tasks; analysts read them.
func canWorkTickets(r auth.Role) bool {
	return r == auth.RoleAdmin || r == auth.RoleAgent || r == auth.RoleCare
}

// desk returns the service desk, or ENOTFOUND when the server runs without.
func (u *UI) desk() (*service.Service, error) {
	if u.cfg.Service == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "the service desk is not available")
	}
	return u.cfg.Service, nil
}

// workingDesk is desk for a change: 403 first for a role that does not work
// tickets, so that nothing else about the shop shows, then the desk. It
// answers the request itself when it returns false.
func (u *UI) workingDesk(w http.ResponseWriter, r *http.Request, rq *request) (*service.Service, bool) {
	if !canWorkTickets(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not work tickets"))
		return nil, false
	}
	svc, err := u.desk()
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, false
	}
	return svc, true
}

// pathID reads a positive {id} of the path, or ENOTFOUND naming what.
func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, guanxi.Errorf(guanxi.ENOTFOUND, "no %s %q", what, r.PathValue("id"))
	}
	return id, nil
}

// formInt reads a form field as an id; "" and junk are 0.
func formInt(r *http.Request, name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(r.FormValue(name)), 10, 64)
	return n
}

// people are the shop's members and teams by id, for assignment choices and
// for showing who a ticket or task is with.
type people struct {
	Members []option
	Teams   []option
	names   map[int64]string
	teams   map[int64]string
}

func (u *UI) peopleOf(ctx context.Context, shopID int64) (*people, error) {
	ms, err := u.cfg.Auth.Members(ctx, shopID)
	if err != nil {
		return nil, err
	}
	ts, err := u.cfg.Auth.Teams(ctx, shopID)
	if err != nil {
		return nil, err
	}
	p := &people{names: map[int64]string{}, teams: map[int64]string{}}
	for _, m := range ms {
		name := m.User.DisplayName
		if name == "" {
			name = m.User.Username
		}
		p.Members = append(p.Members, option{m.User.ID, name})
		p.names[m.User.ID] = name
	}
	for _, t := range ts {
		p.Teams = append(p.Teams, option{t.ID, t.Name})
		p.teams[t.ID] = t.Name
	}
	return p, nil
}

// User is a member's name, "" for 0, "#id" for one no longer in the shop.
func (p *people) User(id int64) string {
	if id == 0 {
		return ""
	}
	if n, ok := p.names[id]; ok {
		return n
	}
	return "#" + strconv.FormatInt(id, 10)
}

// Team is a team's name, "" for 0.
func (p *people) Team(id int64) string {
	if id == 0 {
		return ""
	}
	if n, ok := p.teams[id]; ok {
		return n
	}
	return "#" + strconv.FormatInt(id, 10)
}

// Assignment is how an assign event's "user:3 team:1" reads: names.
func (p *people) Assignment(v string) string {
	var user, team int64
	if _, err := fmt.Sscanf(v, "user:%d team:%d", &user, &team); err != nil {
		return v
	}
	parts := []string{}
	if n := p.User(user); n != "" {
		parts = append(parts, n)
	}
	if n := p.Team(team); n != "" {
		parts = append(parts, n)
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " · ")
}

// slaBadge is what a ticket's running SLA clock shows: due in, or overdue.
type slaBadge struct {
	Clock   string // service.FirstResponseClock or ResolutionClock
	Due     time.Time
	Overdue bool
	AtRisk  bool
	Left    string // "2小时15分" / "2h 15m": how long until due, or past it
}

// badgeOf is the clock of t that is running at now (the first response
// until answered, then the resolution), nil for a closed ticket or one
// whose clocks both stopped.
func badgeOf(t *service.Ticket, now time.Time, locale string) *slaBadge {
	if !t.Open() {
		return nil
	}
	b := &slaBadge{}
	switch {
	case t.FirstRespondedAt.IsZero():
		b.Clock, b.Due = service.FirstResponseClock, t.FirstResponseDue
		b.AtRisk = used(t.CreatedAt, t.FirstResponseDue, now) >= service.AtRiskShare
	case t.ResolvedAt.IsZero():
		b.Clock, b.Due = service.ResolutionClock, t.ResolutionDue
		b.AtRisk = used(t.SLAStartedAt, t.ResolutionDue, now) >= service.AtRiskShare
	default:
		return nil
	}
	d := b.Due.Sub(now)
	if d < 0 {
		b.Overdue, d = true, -d
	}
	b.Left = span(d, locale)
	return b
}

// used is the share of the clock from start to due used at now, as
// service.Alerts counts it.
func used(start, due, now time.Time) float64 {
	s := due.Sub(start)
	if s <= 0 {
		return 1
	}
	return float64(now.Sub(start)) / float64(s)
}

// span writes a duration to the minute in days, hours and minutes, in the
// locale's units.
func span(d time.Duration, locale string) string {
	m := int64(d / time.Minute)
	days, hours, mins := m/(24*60), m/60%24, m%60
	var parts []string
	if days > 0 {
		parts = append(parts, i18n.T(locale, "desk.days", days))
	}
	if hours > 0 {
		parts = append(parts, i18n.T(locale, "desk.hours", hours))
	}
	if mins > 0 && days == 0 {
		parts = append(parts, i18n.T(locale, "desk.minutes", mins))
	}
	if len(parts) == 0 {
		return i18n.T(locale, "desk.minutes", 0)
	}
	sep := " "
	if locale == "zh-CN" {
		sep = ""
	}
	return strings.Join(parts, sep)
}

// formError turns a caller's mistake into the message a form shows and its
// status; other errors are not the form's and give ok false.
func formError(locale string, err error) (msg string, status int, ok bool) {
	if status, ok = formStatus(err); ok {
		msg = detail(locale, err)
	}
	return msg, status, ok
}

// formStatus is the status a form shown again for a caller's mistake
// answers with: 400 for an invalid field, 409 for a stale version; other
// errors are not the form's and give ok false.
func formStatus(err error) (status int, ok bool) {
	switch guanxi.ErrorCode(err) {
	case guanxi.EINVALID:
		return http.StatusBadRequest, true
	case guanxi.ECONFLICT:
		return http.StatusConflict, true
	}
	return 0, false
}

// detail is the error's generic message with its own text after it, which
// names the field or the conflict ("cause: … expected one of …").
func detail(locale string, err error) string {
	return i18n.ErrorMessage(locale, err) + " " + guanxi.ErrorMessage(err)
}

// customerDesk is the customer page's tickets and follow-up tasks.
type customerDesk struct {
	Tickets   []ticketRow
	Tasks     []taskRow
	People    *people
	TaskKinds []string
	TaskDue   string
	CanWork   bool
}

// deskOf reads a customer's latest tickets and open and recent tasks for
// their page; nil when the server runs without the service desk.
func (u *UI) deskOf(r *http.Request, rq *request, customerID int64) (*customerDesk, error) {
	if u.cfg.Service == nil {
		return nil, nil
	}
	ctx, now := r.Context(), u.clock.Now()
	ts, err := u.cfg.Service.List(ctx, rq.shop.ID, service.Filter{CustomerID: &customerID, Limit: 20})
	if err != nil {
		return nil, err
	}
	ks, err := u.cfg.Service.Tasks(ctx, rq.shop.ID, service.TaskFilter{CustomerID: customerID, Limit: 20})
	if err != nil {
		return nil, err
	}
	d := &customerDesk{CanWork: canWorkTickets(rq.role), TaskKinds: service.TaskKinds,
		TaskDue: now.In(rq.shop.Location()).AddDate(0, 0, 3).Format("2006-01-02")}
	if d.People, err = u.peopleOf(ctx, rq.shop.ID); err != nil {
		return nil, err
	}
	for i := range ts {
		d.Tickets = append(d.Tickets, ticketRow{Ticket: ts[i], Assignee: d.People.User(ts[i].AssigneeID), SLA: badgeOf(&ts[i], now, rq.locale)})
	}
	for _, k := range ks {
		d.Tasks = append(d.Tasks, taskRow{Task: k, Assignee: d.People.User(k.AssigneeID), Overdue: k.Overdue(now)})
	}
	return d, nil
}
