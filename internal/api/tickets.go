package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/service"
)

// Tickets under /tickets (issue 6 §1-2): consultations, in-sale and
// after-sale questions and complaints. Changes to a ticket's state
// (transition, assign, priority) are made on the version named by If-Match
// or the body's version, like campaigns; notes and replies only append and
// take none. Scopes tickets:read and tickets:write.

// desk returns the service desk, or ENOTFOUND when the server runs
// without one.
func (a *API) desk() (*service.Service, error) {
	if a.cfg.Service == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "the service desk is not available on this server")
	}
	return a.cfg.Service, nil
}

// ticketJSON is a ticket as the API shows it.
type ticketJSON struct {
	ID                  int64         `json:"id"`
	Kind                string        `json:"kind"`
	Subject             string        `json:"subject"`
	Body                string        `json:"body"`
	CustomerID          int64         `json:"customer_id"`
	OrderID             *int64        `json:"order_id"`
	Channel             string        `json:"channel"`
	Priority            string        `json:"priority"`
	AssigneeID          *int64        `json:"assignee_id"`
	TeamID              *int64        `json:"team_id"`
	Status              string        `json:"status"`
	Cause               string        `json:"cause"`
	Severity            string        `json:"severity"`
	Solution            string        `json:"solution"`
	Outcome             string        `json:"outcome"`
	CreatedAt           time.Time     `json:"created_at"`
	UpdatedAt           time.Time     `json:"updated_at"`
	ClosedAt            *time.Time    `json:"closed_at"`
	FirstResponseDue    time.Time     `json:"first_response_due"`
	ResolutionDue       time.Time     `json:"resolution_due"`
	FirstRespondedAt    *time.Time    `json:"first_responded_at"`
	ResolvedAt          *time.Time    `json:"resolved_at"`
	ResponseEscalated   bool          `json:"response_escalated"`
	ResolutionEscalated bool          `json:"resolution_escalated"`
	Version             int64         `json:"version"`
	Events              []eventJSON   `json:"events,omitempty"`   // GET /tickets/{id}, notes and replies
	Delivery            *deliveryJSON `json:"delivery,omitempty"` // a reply sent through a channel
}

type eventJSON struct {
	ID             int64     `json:"id"`
	Kind           string    `json:"kind"`
	From           string    `json:"from"`
	To             string    `json:"to"`
	Body           string    `json:"body"`
	ActorID        *int64    `json:"actor_id"`
	Actor          string    `json:"actor"`
	At             time.Time `json:"at"`
	Channel        string    `json:"channel,omitempty"`
	Delivery       string    `json:"delivery,omitempty"`
	DeliveryDetail string    `json:"delivery_detail,omitempty"`
}

func ticketOf(t *service.Ticket) ticketJSON {
	return ticketJSON{ID: t.ID, Kind: t.Kind, Subject: t.Subject, Body: t.Body, CustomerID: t.CustomerID, OrderID: idOrNil(t.OrderID),
		Channel: t.Channel, Priority: t.Priority, AssigneeID: idOrNil(t.AssigneeID), TeamID: idOrNil(t.TeamID), Status: t.Status,
		Cause: t.Cause, Severity: t.Severity, Solution: t.Solution, Outcome: t.Outcome, CreatedAt: t.CreatedAt.UTC(),
		UpdatedAt: t.UpdatedAt.UTC(), ClosedAt: timeOrNil(t.ClosedAt), FirstResponseDue: t.FirstResponseDue.UTC(),
		ResolutionDue: t.ResolutionDue.UTC(), FirstRespondedAt: timeOrNil(t.FirstRespondedAt), ResolvedAt: timeOrNil(t.ResolvedAt),
		ResponseEscalated: t.ResponseEscalated, ResolutionEscalated: t.ResolutionEscalated, Version: t.Version}
}

func eventOf(e *service.Event) eventJSON {
	return eventJSON{ID: e.ID, Kind: e.Kind, From: e.From, To: e.To, Body: e.Body, ActorID: idOrNil(e.ActorID), Actor: e.Actor,
		At: e.At.UTC(), Channel: e.Channel, Delivery: e.Delivery, DeliveryDetail: e.DeliveryDetail}
}

// writeTicket answers with the ticket, its version as the ETag.
func writeTicket(w http.ResponseWriter, status int, t *service.Ticket, events []service.Event) {
	j := ticketOf(t)
	if events != nil {
		j.Events = make([]eventJSON, len(events))
		for i := range events {
			j.Events[i] = eventOf(&events[i])
		}
	}
	setVersion(w, t.Version)
	writeJSON(w, status, j)
}

// queryID reads an optional positive id query parameter.
func queryID(r *http.Request, name string) (*int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return nil, guanxi.Errorf(guanxi.EINVALID, "%s %q: expected a positive whole number", name, s)
	}
	return &n, nil
}

func queryString(r *http.Request, name string) *string {
	if s := r.URL.Query().Get(name); s != "" {
		return &s
	}
	return nil
}

// listTickets: GET /tickets, newest first, filtered by ?status=, ?kind=,
// ?assignee_id=, ?customer_id=, ?open=true|false and ?breached=true (an
// SLA clock run out); paged by ?limit= and ?before= (next_before).
func (a *API) listTickets(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	f := service.Filter{Status: queryString(r, "status"), Kind: queryString(r, "kind")}
	if f.AssigneeID, err = queryID(r, "assignee_id"); err != nil {
		return err
	}
	if f.CustomerID, err = queryID(r, "customer_id"); err != nil {
		return err
	}
	if f.Open, err = queryBool(r, "open"); err != nil {
		return err
	}
	breached, err := queryBool(r, "breached")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	f.Before, f.Limit = int64(before), limit+1
	ctx, cancel := withTimeout(r)
	defer cancel()
	var late map[int64]bool
	if breached != nil {
		alerts, err := svc.Alerts(ctx, t.ShopID, a.cfg.Clock.Now())
		if err != nil {
			return err
		}
		late = map[int64]bool{}
		for _, al := range alerts {
			if al.Breached {
				late[al.TicketID] = true
			}
		}
		f.Limit = 500 // filtered here: read in large pages
	}
	// One more than the page, to know whether another follows.
	var page []service.Ticket
	for len(page) <= limit {
		list, err := svc.List(ctx, t.ShopID, f)
		if err != nil {
			return err
		}
		for _, tk := range list {
			if late == nil || late[tk.ID] == *breached {
				page = append(page, tk)
			}
		}
		if len(list) < f.Limit {
			break
		}
		f.Before = list[len(list)-1].ID
	}
	out := []ticketJSON{}
	var next *int64
	for i := range page {
		if i == limit {
			next = &page[i-1].ID
			break
		}
		out = append(out, ticketOf(&page[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": out, "next_before": next})
	return nil
}

// ticketInput is the body of POST /tickets.
type ticketInput struct {
	Kind       string `json:"kind"`
	Subject    string `json:"subject"`
	Body       string `json:"body"`
	CustomerID int64  `json:"customer_id"`
	OrderID    int64  `json:"order_id"`
	Priority   string `json:"priority"`
	AssigneeID int64  `json:"assignee_id"`
	TeamID     int64  `json:"team_id"`
	Channel    string `json:"channel"` // default api; phone for a call logged by a telephony tool
}

// createTicket: POST /tickets, 201 with the ticket.
func (a *API) createTicket(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	var in ticketInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Channel == "" {
		in.Channel = "api"
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	tk := &service.Ticket{Kind: in.Kind, Subject: in.Subject, Body: in.Body, CustomerID: in.CustomerID, OrderID: in.OrderID,
		Priority: in.Priority, AssigneeID: in.AssigneeID, TeamID: in.TeamID, Channel: in.Channel}
	if err := svc.Create(ctx, t.ShopID, tk); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/tickets/"+strconv.FormatInt(tk.ID, 10))
	writeTicket(w, http.StatusCreated, tk, nil)
	return nil
}

// getTicket: GET /tickets/{id}, with its history (events, oldest first).
func (a *API) getTicket(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	tk, err := svc.Get(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	evs, err := svc.Events(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []service.Event{}
	}
	writeTicket(w, http.StatusOK, tk, evs)
	return nil
}

// ticketChange runs a versioned change of the ticket named by the path
// and answers the ticket after it.
func (a *API) ticketChange(w http.ResponseWriter, r *http.Request, t *auth.Token, in interface{ ver() *int64 },
	change func(svc *service.Service, r *http.Request, id, version int64) (*service.Ticket, error)) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := decode(w, r, in); err != nil {
		return err
	}
	version, err := versionOf(r, in.ver(), "ticket", "/tickets/{id}")
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	r = r.WithContext(ctx)
	tk, err := change(svc, r, id, version)
	if err != nil {
		return err
	}
	writeTicket(w, http.StatusOK, tk, nil)
	return nil
}

type versioned struct {
	Version *int64 `json:"version"`
}

func (v *versioned) ver() *int64 { return v.Version }

// transitionInput is the body of POST /tickets/{id}/transition: one step
// of the workflow (service.Step).
type transitionInput struct {
	versioned
	To       string `json:"to"`
	Cause    string `json:"cause"`
	Severity string `json:"severity"`
	Solution string `json:"solution"`
	Outcome  string `json:"outcome"`
	Reason   string `json:"reason"`
	Note     string `json:"note"`
}

// transitionTicket: POST /tickets/{id}/transition. A step the workflow does
// not allow from the current status is 409; a missing field of the step
// (cause and severity to assess, solution, outcome, a reason to reopen)
// is 400.
func (a *API) transitionTicket(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	var in transitionInput
	return a.ticketChange(w, r, t, &in, func(svc *service.Service, r *http.Request, id, version int64) (*service.Ticket, error) {
		return svc.Transition(r.Context(), t.ShopID, id, version, service.Step{To: in.To, Cause: in.Cause, Severity: in.Severity,
			Solution: in.Solution, Outcome: in.Outcome, Reason: in.Reason, Note: in.Note})
	})
}

type assignInput struct {
	versioned
	AssigneeID int64 `json:"assignee_id"`
	TeamID     int64 `json:"team_id"`
	Auto       bool  `json:"auto"` // give it to an agent as the shop's assignment mode says
}

// assignTicket: POST /tickets/{id}/assign, to a user and/or team (0: none),
// or {"auto": true} for the shop's round robin or skill rule.
func (a *API) assignTicket(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	var in assignInput
	return a.ticketChange(w, r, t, &in, func(svc *service.Service, r *http.Request, id, version int64) (*service.Ticket, error) {
		if in.Auto {
			if in.AssigneeID != 0 || in.TeamID != 0 {
				return nil, guanxi.Errorf(guanxi.EINVALID, "auto: give assignee_id and team_id, or auto, not both")
			}
			return svc.AutoAssign(r.Context(), t.ShopID, id, version)
		}
		if in.AssigneeID < 0 || in.TeamID < 0 {
			return nil, guanxi.Errorf(guanxi.EINVALID, "assignee_id, team_id: expected whole numbers (0: none)")
		}
		return svc.Assign(r.Context(), t.ShopID, id, version, in.AssigneeID, in.TeamID)
	})
}

type priorityInput struct {
	versioned
	Priority string `json:"priority"`
}

// priorityTicket: POST /tickets/{id}/priority; the SLA due times follow.
func (a *API) priorityTicket(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	var in priorityInput
	return a.ticketChange(w, r, t, &in, func(svc *service.Service, r *http.Request, id, version int64) (*service.Ticket, error) {
		return svc.SetPriority(r.Context(), t.ShopID, id, version, in.Priority)
	})
}

type textInput struct {
	Body string `json:"body"`
}

// ticketText answers POST /tickets/{id}/notes and /replies: 201 with the
// ticket and its history after the text was added.
func (a *API) ticketText(add func(svc *service.Service) func(ctx context.Context, shopID, id int64, body string) error) func(http.ResponseWriter, *http.Request, *auth.Token) error {
	return func(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
		svc, err := a.desk()
		if err != nil {
			return err
		}
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var in textInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		ctx, cancel := withTimeout(r)
		defer cancel()
		if err := add(svc)(ctx, t.ShopID, id, in.Body); err != nil {
			return err
		}
		tk, err := svc.Get(ctx, t.ShopID, id)
		if err != nil {
			return err
		}
		evs, err := svc.Events(ctx, t.ShopID, id)
		if err != nil {
			return err
		}
		writeTicket(w, http.StatusCreated, tk, evs)
		return nil
	}
}

// alertJSON is an SLA clock at risk or run out.
type alertJSON struct {
	TicketID int64     `json:"ticket_id"`
	Priority string    `json:"priority"`
	Clock    string    `json:"clock"` // first_response or resolution
	Due      time.Time `json:"due"`
	Used     float64   `json:"used"` // share of the clock used; ≥ 1 when breached
	Breached bool      `json:"breached"`
}

// ticketAlerts: GET /tickets/alerts, the open tickets whose SLA clocks have
// used 80% of their time or run out, now.
func (a *API) ticketAlerts(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	alerts, err := svc.Alerts(ctx, t.ShopID, a.cfg.Clock.Now())
	if err != nil {
		return err
	}
	out := make([]alertJSON, len(alerts))
	for i, al := range alerts {
		out[i] = alertJSON{TicketID: al.TicketID, Priority: al.Priority, Clock: al.Clock, Due: al.Due.UTC(), Used: al.Used, Breached: al.Breached}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
	return nil
}
