package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/service"
)

// ticketsShown is how many tickets a page of the list shows.
const ticketsShown = 100

// ticketRow is a ticket in the list with what the list shows beside it.
type ticketRow struct {
	service.Ticket
	Customer string
	Assignee string
	Team     string
	SLA      *slaBadge
}

// ticketFilter is the list's filters as chosen.
type ticketFilter struct {
	Status, Kind, Priority, Mine, Alert string // Alert: breached, at_risk
	Open                                string // "1" open only (the default), "0" finished, "all"
}

type ticketListPage struct {
	Tickets    []ticketRow
	F          ticketFilter
	Kinds      []string
	Priorities []string
	Statuses   []string
	Breached   int // open tickets past a clock, whatever the filter
	AtRisk     int
	CanWork    bool
	IsAdmin    bool
	More       string // link to the next page, "" on the last
}

// ticketList is the service desk: the shop's tickets, newest first,
// narrowed by status, kind, priority, "mine" and the SLA alerts, each with
// its running clock.
func (u *UI) ticketList(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.desk()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ctx, q := r.Context(), r.URL.Query()
	f := ticketFilter{Status: q.Get("status"), Kind: q.Get("kind"), Priority: q.Get("priority"), Mine: q.Get("mine"),
		Alert: q.Get("alert"), Open: q.Get("open")}
	if f.Open == "" {
		f.Open = "1"
	}
	now := u.clock.Now()
	alerts, err := svc.Alerts(ctx, rq.shop.ID, now)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &ticketListPage{F: f, Kinds: service.Kinds, Priorities: service.Priorities, CanWork: canWorkTickets(rq.role),
		IsAdmin: rq.role == auth.RoleAdmin,
		Statuses: []string{service.Received, service.Confirmed, service.Assessed, service.SolutionProposed, service.Executed,
			service.FollowUp, service.Archived, service.Open, service.Pending, service.Solved, service.Closed}}
	alerted := map[int64]string{} // ticket → breached or at_risk, the worse winning
	for _, a := range alerts {
		if a.Breached {
			alerted[a.TicketID] = "breached"
		} else if alerted[a.TicketID] == "" {
			alerted[a.TicketID] = "at_risk"
		}
	}
	for _, v := range alerted {
		if v == "breached" {
			p.Breached++
		} else {
			p.AtRisk++
		}
	}

	var ts []service.Ticket
	if f.Alert != "" {
		// The alerts are few: read their tickets, in the alerts' order.
		seen := map[int64]bool{}
		for _, a := range alerts {
			if seen[a.TicketID] || alerted[a.TicketID] != f.Alert {
				continue
			}
			seen[a.TicketID] = true
			t, err := svc.Get(ctx, rq.shop.ID, a.TicketID)
			if err != nil {
				u.fail(w, r, rq, err)
				return
			}
			ts = append(ts, *t)
		}
	} else {
		lf := service.Filter{Limit: ticketsShown + 1}
		if f.Status != "" {
			lf.Status = &f.Status
		}
		if f.Kind != "" {
			lf.Kind = &f.Kind
		}
		if f.Mine == "1" {
			lf.AssigneeID = &rq.sess.User.ID
		}
		if f.Open != "all" && f.Status == "" {
			open := f.Open != "0"
			lf.Open = &open
		}
		lf.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
		if ts, err = svc.List(ctx, rq.shop.ID, lf); err != nil {
			u.fail(w, r, rq, err)
			return
		}
		if len(ts) > ticketsShown {
			ts = ts[:ticketsShown]
			next := url.Values{}
			for k, v := range q {
				next[k] = v
			}
			next.Set("before", strconv.FormatInt(ts[len(ts)-1].ID, 10))
			p.More = r.URL.Path + "?" + next.Encode()
		}
	}
	// Priority is not a column the list filters on in SQL: few tickets of a
	// page, filtered here.
	if f.Priority != "" {
		ts = slices.DeleteFunc(ts, func(t service.Ticket) bool { return t.Priority != f.Priority })
	}
	if f.Alert != "" && f.Mine == "1" {
		ts = slices.DeleteFunc(ts, func(t service.Ticket) bool { return t.AssigneeID != rq.sess.User.ID })
	}
	ppl, err := u.peopleOf(ctx, rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	names := map[int64]string{}
	for i := range ts {
		t := &ts[i]
		if _, ok := names[t.CustomerID]; !ok {
			c, err := u.cfg.Customers.Get(ctx, rq.shop.ID, t.CustomerID)
			switch {
			case err == nil:
				names[t.CustomerID] = c.Name
			case guanxi.ErrorCode(err) == guanxi.ENOTFOUND:
				names[t.CustomerID] = ""
			default:
				u.fail(w, r, rq, err)
				return
			}
		}
		row := ticketRow{Ticket: *t, Customer: names[t.CustomerID], Assignee: ppl.User(t.AssigneeID), Team: ppl.Team(t.TeamID),
			SLA: badgeOf(t, now, rq.locale)}
		if row.SLA != nil && alerted[t.ID] == "at_risk" {
			row.SLA.AtRisk = true
		}
		p.Tickets = append(p.Tickets, row)
	}
	u.render(w, r, rq, http.StatusOK, "ticket_list", "", u.view(r, rq, "tickets", p))
}

// ticketForm is the new-ticket form as typed.
type ticketForm struct {
	CustomerID int64
	OrderID    int64
	Kind       string
	Channel    string
	Priority   string
	AssigneeID int64
	TeamID     int64
	Subject    string
	Body       string
}

type ticketNewPage struct {
	Form       ticketForm
	Customer   *customer.Customer // the chosen customer, once one is
	Orders     []order.Order      // theirs, to pick the order from
	Query      string             // the customer search
	Found      []customer.Row
	Kinds      []string
	Channels   []string
	Priorities []string
	People     *people
	Error      string
}

// ticketNew shows the new-ticket form. The customer is chosen by id (from
// the customer page's link, ?customer=) or found by a search (?q=) whose
// results link back here with the id; then their latest orders are offered.
func (u *UI) ticketNew(w http.ResponseWriter, r *http.Request, rq *request) {
	if _, ok := u.workingDesk(w, r, rq); !ok {
		return
	}
	q := r.URL.Query()
	f := ticketForm{Kind: q.Get("kind"), Channel: "phone", Priority: service.Normal, AssigneeID: rq.sess.User.ID}
	if f.Kind == "" {
		f.Kind = service.Consultation
	}
	f.CustomerID, _ = strconv.ParseInt(q.Get("customer"), 10, 64)
	f.OrderID, _ = strconv.ParseInt(q.Get("order"), 10, 64)
	p := &ticketNewPage{Form: f, Query: strings.TrimSpace(q.Get("q"))}
	status, err := u.fillTicketNew(r, rq, p)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, status, "ticket_new", "", u.view(r, rq, "tickets", p))
}

// fillTicketNew fills the form's choices, the customer and their orders,
// and the search's results. A customer id that is not the shop's is the
// form's error, not the page's.
func (u *UI) fillTicketNew(r *http.Request, rq *request, p *ticketNewPage) (int, error) {
	ctx := r.Context()
	p.Kinds, p.Channels, p.Priorities = service.Kinds, service.Channels, service.Priorities
	var err error
	if p.People, err = u.peopleOf(ctx, rq.shop.ID); err != nil {
		return 0, err
	}
	status := http.StatusOK
	if p.Form.CustomerID > 0 {
		c, err := u.cfg.Customers.Get(ctx, rq.shop.ID, p.Form.CustomerID)
		switch {
		case guanxi.ErrorCode(err) == guanxi.ENOTFOUND:
			p.Error = u.tr(rq, "tickets.no_customer", p.Form.CustomerID)
			status = http.StatusBadRequest
		case err != nil:
			return 0, err
		default:
			p.Customer = c
			if p.Orders, err = u.cfg.Orders.ByCustomer(ctx, rq.shop.ID, c.ID, 20); err != nil {
				return 0, err
			}
		}
	}
	if p.Query != "" {
		page, err := u.cfg.Customers.Search(ctx, rq.shop.ID, customer.Filter{Query: p.Query, Limit: 20})
		if err != nil {
			return 0, err
		}
		p.Found = page.Customers
	}
	return status, nil
}

// ticketCreate opens a ticket from the form and shows it; a refused form
// shows again with what was typed and why.
func (u *UI) ticketCreate(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, ok := u.workingDesk(w, r, rq)
	if !ok {
		return
	}
	pf := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := ticketForm{CustomerID: formInt(r, "customer_id"), OrderID: formInt(r, "order_id"), Kind: pf("kind"), Channel: pf("channel"),
		Priority: pf("priority"), AssigneeID: formInt(r, "assignee_id"), TeamID: formInt(r, "team_id"), Subject: pf("subject"),
		Body: r.PostFormValue("body")}
	t := &service.Ticket{Kind: f.Kind, Subject: f.Subject, Body: f.Body, CustomerID: f.CustomerID, OrderID: f.OrderID,
		Channel: f.Channel, Priority: f.Priority, AssigneeID: f.AssigneeID, TeamID: f.TeamID}
	err := svc.Create(r.Context(), rq.shop.ID, t)
	if err != nil {
		msg, status, ok := formError(rq.locale, err)
		if !ok {
			u.fail(w, r, rq, err)
			return
		}
		p := &ticketNewPage{Form: f}
		if _, perr := u.fillTicketNew(r, rq, p); perr != nil {
			u.fail(w, r, rq, perr)
			return
		}
		p.Error = msg
		u.render(w, r, rq, status, "ticket_new", "", u.view(r, rq, "tickets", p))
		return
	}
	u.log.Info("ticket created", "shop", rq.shop.Code, "ticket", t.ID, "kind", t.Kind, "user", rq.sess.User.Username)
	http.Redirect(w, r, ticketPath(rq, t.ID)+"?done=created", http.StatusSeeOther)
}

// ticketPath is a ticket's page.
func ticketPath(rq *request, id int64) string {
	return "/s/" + rq.shop.Code + "/tickets/" + strconv.FormatInt(id, 10)
}

// tr translates for the request's locale.
func (u *UI) tr(rq *request, key string, args ...any) string { return i18n.T(rq.locale, key, args...) }
