package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/service"
)

// nextSteps are the statuses a ticket may move to from its own, as
// internal/service enforces them (complaintFlow and ticketFlow there, seed
// 002 §7.2): the page offers exactly these, and the service refuses any
// other, so a form doctored to skip a step still fails. TestTicketSteps
// checks every offered step is accepted and the others refused.
var nextSteps = map[string][]string{
	service.Received:         {service.Confirmed},
	service.Confirmed:        {service.Assessed},
	service.Assessed:         {service.SolutionProposed},
	service.SolutionProposed: {service.Executed},
	service.Executed:         {service.FollowUp},
	service.FollowUp:         {service.Archived},
	service.Archived:         {service.Confirmed},
	service.Open:             {service.Pending, service.Solved},
	service.Pending:          {service.Open, service.Solved},
	service.Solved:           {service.Closed, service.Open},
	service.Closed:           {service.Open},
}

// complaintSteps are the complaint workflow's statuses in order, for the
// page's progress bar.
var complaintSteps = []string{service.Received, service.Confirmed, service.Assessed, service.SolutionProposed,
	service.Executed, service.FollowUp, service.Archived}

// stepForm is one next step the page offers, with what it asks for.
type stepForm struct {
	To     string
	Reopen bool // needs a reason
	Needs  string
}

func stepsOf(t *service.Ticket) []stepForm {
	var out []stepForm
	for _, to := range nextSteps[t.Status] {
		s := stepForm{To: to}
		switch {
		case (t.Status == service.Archived && to == service.Confirmed) ||
			((t.Status == service.Solved || t.Status == service.Closed) && to == service.Open):
			s.Reopen, s.Needs = true, "reason"
		case to == service.Assessed:
			s.Needs = "assessment"
		case to == service.SolutionProposed:
			s.Needs = "solution"
		case to == service.FollowUp:
			s.Needs = "outcome"
		}
		out = append(out, s)
	}
	return out
}

type ticketPage struct {
	T         *service.Ticket
	Customer  *customer.Customer // nil when the customer is gone
	Stats     customer.Stats
	Order     *order.Order
	Events    []service.Event
	Tasks     []service.Task
	Steps     []stepForm
	Progress  []string // complaint steps, for the progress bar
	Reached   int      // index of the complaint's status in Progress
	SLA       *slaBadge
	People    *people
	Causes    []string
	Severity  []string
	Prios     []string
	TaskKinds []string
	TaskDue   string // the new task form's default due date
	// The reply box: canned replies to pick from, the text of the one
	// picked (placeholders filled), the channels a reply can go through.
	Canned        []service.CannedReply
	ReplyText     string
	ReplyChannels []string
	Attachments   []service.Attachment
	Others        []service.Ticket // the customer's other latest tickets
	MaxAttachMiB  int
	CanWork       bool
	Error         string
	Notice        string
	Now           time.Time
}

// ticketOf reads the ticket of the path.
func (u *UI) ticketOf(r *http.Request, rq *request, svc *service.Service) (*service.Ticket, error) {
	id, err := pathID(r, "ticket")
	if err != nil {
		return nil, err
	}
	return svc.Get(r.Context(), rq.shop.ID, id)
}

// ticketShow is a ticket's page: the customer and order, the history with
// who and when, the notes and replies, assignment, the follow-up tasks and
// the workflow's next steps.
func (u *UI) ticketShow(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.desk()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	t, err := u.ticketOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &ticketPage{T: t}
	if n := r.URL.Query().Get("done"); n != "" {
		p.Notice = "tickets.done." + n
	}
	status := http.StatusOK
	if id, _ := strconv.ParseInt(r.URL.Query().Get("canned"), 10, 64); id > 0 && canWorkTickets(rq.role) {
		// The picked canned reply goes into the reply box, filled in for
		// this ticket, for the agent to edit before sending.
		text, err := svc.RenderCannedReply(r.Context(), rq.shop.ID, id, t.ID)
		if err != nil {
			msg, st, ok := formError(rq.locale, err)
			if !ok && guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
				u.fail(w, r, rq, err)
				return
			}
			if !ok {
				msg, st = detail(rq.locale, err), http.StatusNotFound
			}
			p.Error, status = msg, st
		}
		p.ReplyText = text
	}
	u.showTicket(w, r, rq, svc, p, status)
}

// showTicket fills the rest of p (its T set) and renders the page with
// status: 200, or the 400/409 of a refused form, whose Error it shows.
func (u *UI) showTicket(w http.ResponseWriter, r *http.Request, rq *request, svc *service.Service, p *ticketPage, status int) {
	ctx, shopID, t := r.Context(), rq.shop.ID, p.T
	var err error
	p.Now = u.clock.Now()
	p.CanWork = canWorkTickets(rq.role)
	p.Causes, p.Severity, p.Prios, p.TaskKinds = service.Causes, service.Severities, service.Priorities, service.TaskKinds
	p.TaskDue = p.Now.In(rq.shop.Location()).AddDate(0, 0, 3).Format("2006-01-02")
	if c, err := u.cfg.Customers.Get(ctx, shopID, t.CustomerID); err == nil {
		p.Customer = c
		if p.Stats, err = u.cfg.Customers.Stats(ctx, shopID, c.ID); err != nil {
			u.fail(w, r, rq, err)
			return
		}
	} else if guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
		u.fail(w, r, rq, err)
		return
	}
	if t.OrderID != 0 {
		if o, err := u.cfg.Orders.Get(ctx, shopID, t.OrderID); err == nil {
			p.Order = o
		} else if guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			u.fail(w, r, rq, err)
			return
		}
	}
	others, err := svc.List(ctx, shopID, service.Filter{CustomerID: &t.CustomerID, Limit: 6})
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	for _, o := range others {
		if o.ID != t.ID && len(p.Others) < 5 {
			p.Others = append(p.Others, o)
		}
	}
	if p.Events, err = svc.Events(ctx, shopID, t.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.Tasks, err = svc.Tasks(ctx, shopID, service.TaskFilter{TicketID: t.ID}); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.People, err = u.peopleOf(ctx, shopID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.CanWork {
		if p.Canned, err = svc.CannedReplies(ctx, shopID, t.Kind); err != nil {
			u.fail(w, r, rq, err)
			return
		}
	}
	if p.Attachments, err = svc.Attachments(ctx, shopID, t.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p.ReplyChannels, p.MaxAttachMiB = service.ReplyChannels, service.MaxAttachmentSize>>20
	p.Steps = stepsOf(t)
	if t.Kind == service.Complaint {
		p.Progress = complaintSteps
		for i, s := range complaintSteps {
			if s == t.Status {
				p.Reached = i
			}
		}
	}
	p.SLA = badgeOf(t, p.Now, rq.locale)
	u.render(w, r, rq, status, "ticket_show", "", u.view(r, rq, "tickets", p))
}

// ticketAction runs one of the page's forms on the ticket of the path:
// a workflow step, a note, a reply, or the assignment and priority. A
// refused form (a missing field, a stale version, a step not allowed from
// the ticket's status) shows the page again with why; a done one goes back
// to the page, saying so.
func (u *UI) ticketAction(w http.ResponseWriter, r *http.Request, rq *request, action string) {
	svc, ok := u.workingDesk(w, r, rq)
	if !ok {
		return
	}
	t, err := u.ticketOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ctx, shopID := r.Context(), rq.shop.ID
	version := formInt(r, "version")
	pf := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	done := action
	switch action {
	case "step":
		st := service.Step{To: pf("to"), Cause: pf("cause"), Severity: pf("severity"), Solution: pf("solution"),
			Outcome: pf("outcome"), Reason: pf("reason"), Note: pf("note")}
		_, err = svc.Transition(ctx, shopID, t.ID, version, st)
		done = "step"
	case "note":
		err = svc.AddNote(ctx, shopID, t.ID, r.PostFormValue("body"))
	case "reply":
		// Without a channel the reply is recorded (given by phone, in the
		// shop's chat tool); with one it is sent through it.
		if ch := pf("channel"); ch == "" {
			err = svc.Reply(ctx, shopID, t.ID, r.PostFormValue("body"))
		} else if d, serr := svc.SendReply(ctx, shopID, t.ID, ch, r.PostFormValue("body")); serr != nil {
			if d == nil {
				err = serr
				break
			}
			// Recorded as not delivered: the history shows it; say why.
			u.log.Warn("ticket reply not delivered", "shop", rq.shop.Code, "ticket", t.ID, "channel", ch, "err", serr)
			cur, gerr := svc.Get(ctx, shopID, t.ID)
			if gerr != nil {
				u.fail(w, r, rq, gerr)
				return
			}
			u.showTicket(w, r, rq, svc, &ticketPage{T: cur, Error: u.tr(rq, "tickets.not_delivered", d.Detail)}, http.StatusBadGateway)
			return
		} else {
			done = "sent"
		}
	case "assign":
		// Priority first, then the assignment at the version it left.
		cur := t
		if p := pf("priority"); p != "" && p != t.Priority {
			cur, err = svc.SetPriority(ctx, shopID, t.ID, version, p)
			version = 0
			if err == nil {
				version = cur.Version
			}
		} else if version != t.Version {
			err = guanxi.Errorf(guanxi.ECONFLICT, "ticket %d was changed by someone else (version %d, yours %d): reload it", t.ID, t.Version, version)
		}
		user, team := formInt(r, "assignee_id"), formInt(r, "team_id")
		if err == nil && (user != cur.AssigneeID || team != cur.TeamID) {
			_, err = svc.Assign(ctx, shopID, t.ID, version, user, team)
		}
	default:
		err = guanxi.Errorf(guanxi.ENOTFOUND, "no action %q", action)
	}
	if err != nil {
		// Show the ticket as it is now, so the agent sees what changed.
		u.ticketRefused(w, r, rq, svc, t.ID, err)
		return
	}
	u.log.Info("ticket "+action, "shop", rq.shop.Code, "ticket", t.ID, "user", rq.sess.User.Username)
	http.Redirect(w, r, ticketPath(rq, t.ID)+"?done="+done, http.StatusSeeOther)
}

func (u *UI) ticketStep(w http.ResponseWriter, r *http.Request, rq *request) {
	u.ticketAction(w, r, rq, "step")
}

func (u *UI) ticketNote(w http.ResponseWriter, r *http.Request, rq *request) {
	u.ticketAction(w, r, rq, "note")
}

func (u *UI) ticketReply(w http.ResponseWriter, r *http.Request, rq *request) {
	u.ticketAction(w, r, rq, "reply")
}

func (u *UI) ticketAssign(w http.ResponseWriter, r *http.Request, rq *request) {
	u.ticketAction(w, r, rq, "assign")
}

// EventNote shows the machine-written bodies of two events in words: an
// escalation's "<clock> due <RFC 3339 time>" (解决时限 2026-11-18 17:16 已过)
// and an automatic assignment's "auto:<mode>" (自动分配：轮流分配). Any
// other body is shown as written.
func (v *view) EventNote(kind, body string) string {
	switch kind {
	case "escalation":
		clock, due, ok := strings.Cut(body, " due ")
		at, err := time.Parse(time.RFC3339, due)
		if !ok || err != nil || (clock != "first_response" && clock != "resolution") {
			return body
		}
		return v.T("ticket.escalated", v.T("sla."+clock), v.When(at))
	case "assign":
		if mode, ok := strings.CutPrefix(body, "auto:"); ok && slices.Contains(service.AssignModes, mode) {
			return v.T("ticket.auto_assigned", v.T("desk.mode."+mode))
		}
	}
	return body
}

// Assessment shows the text of an assessed step's event ("logistics/major",
// then the note on the next line) in words: 物流问题 · 严重.
func (v *view) Assessment(body string) string {
	first, rest, _ := strings.Cut(body, "\n")
	cause, severity, ok := strings.Cut(first, "/")
	if !ok || !slices.Contains(service.Causes, cause) || !slices.Contains(service.Severities, severity) {
		return body
	}
	out := v.T("ticket.cause."+cause) + " · " + v.T("ticket.severity."+severity)
	if rest != "" {
		out += "\n" + rest
	}
	return out
}
