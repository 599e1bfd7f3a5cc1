package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/service"
)

// taskRow is a follow-up task in a list with who it is about and with.
type taskRow struct {
	service.Task
	Customer string
	Assignee string
	Team     string
	Overdue  bool
}

type taskListPage struct {
	Tasks   []taskRow
	View    string // mine, open, overdue, done
	People  *people
	CanWork bool
	Error   string
	Notice  string
}

// taskViews are the list's tabs.
var taskViews = []string{"mine", "open", "overdue", "done"}

// taskList is the follow-up tasks (回访): the user's open ones (the
// default), all open ones, the overdue ones, and the finished ones.
func (u *UI) taskList(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.desk()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &taskListPage{View: r.URL.Query().Get("view")}
	if n := r.URL.Query().Get("done"); n != "" {
		p.Notice = "tasks.done." + n
	}
	u.showTasks(w, r, rq, svc, p, http.StatusOK)
}

func (u *UI) showTasks(w http.ResponseWriter, r *http.Request, rq *request, svc *service.Service, p *taskListPage, status int) {
	ctx, now := r.Context(), u.clock.Now()
	if !slices.Contains(taskViews, p.View) {
		p.View = "mine"
	}
	f := service.TaskFilter{Status: service.TaskOpen}
	switch p.View {
	case "mine":
		f.AssigneeID = rq.sess.User.ID
	case "overdue":
		f.DueBefore = now
	case "done":
		f.Status = service.TaskDone
	}
	ks, err := svc.Tasks(ctx, rq.shop.ID, f)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.People, err = u.peopleOf(ctx, rq.shop.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p.CanWork = canWorkTickets(rq.role)
	if p.Tasks, err = u.taskRows(r, rq, ks, p.People, now); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, status, "task_list", "", u.view(r, rq, "tasks", p))
}

// taskRows adds to tasks the names the lists show.
func (u *UI) taskRows(r *http.Request, rq *request, ks []service.Task, ppl *people, now time.Time) ([]taskRow, error) {
	names := map[int64]string{}
	var out []taskRow
	for _, k := range ks {
		if _, ok := names[k.CustomerID]; !ok {
			c, err := u.cfg.Customers.Get(r.Context(), rq.shop.ID, k.CustomerID)
			switch {
			case err == nil:
				names[k.CustomerID] = c.Name
			case guanxi.ErrorCode(err) != guanxi.ENOTFOUND:
				return nil, err
			}
		}
		out = append(out, taskRow{Task: k, Customer: names[k.CustomerID], Assignee: ppl.User(k.AssigneeID), Team: ppl.Team(k.TeamID),
			Overdue: k.Overdue(now)})
	}
	return out, nil
}

// taskCreate opens a follow-up task from the ticket or customer page's
// form, then goes back to that page (next) or to the task list.
func (u *UI) taskCreate(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, ok := u.workingDesk(w, r, rq)
	if !ok {
		return
	}
	pf := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	k := &service.Task{CustomerID: formInt(r, "customer_id"), TicketID: formInt(r, "ticket_id"), Kind: pf("kind"),
		Title: pf("title"), Body: r.PostFormValue("body"), AssigneeID: formInt(r, "assignee_id"), TeamID: formInt(r, "team_id"),
		Source: "user:" + rq.sess.User.Username, CreatedBy: rq.sess.User.ID}
	if k.Kind == "" {
		k.Kind = service.TaskFollowUp
	}
	var err error
	if due := pf("due"); due != "" {
		// A date is due at the end of that day, shop time.
		d, perr := time.ParseInLocation("2006-01-02", due, rq.shop.Location())
		if perr != nil {
			err = guanxi.Errorf(guanxi.EINVALID, "due_at: %q is not a date", due)
		} else {
			k.DueAt = d.Add(24*time.Hour - time.Second)
		}
	}
	if err == nil {
		_, err = svc.OpenTask(r.Context(), rq.shop.ID, k)
	}
	next := localPath(r.PostFormValue("next"))
	if err != nil {
		msg, status, ok := formError(rq.locale, err)
		if !ok {
			u.fail(w, r, rq, err)
			return
		}
		if k.TicketID != 0 {
			if t, gerr := svc.Get(r.Context(), rq.shop.ID, k.TicketID); gerr == nil {
				u.showTicket(w, r, rq, svc, &ticketPage{T: t, Error: msg}, status)
				return
			}
		}
		u.showTasks(w, r, rq, svc, &taskListPage{View: "open", Error: msg}, status)
		return
	}
	u.log.Info("task opened", "shop", rq.shop.Code, "task", k.ID, "user", rq.sess.User.Username)
	if next == "" {
		next = "/s/" + rq.shop.Code + "/tasks?view=open"
	}
	http.Redirect(w, r, withQuery(next, "done=task"), http.StatusSeeOther)
}

// withQuery adds parameters to a local path, before its fragment.
func withQuery(path, kv string) string {
	path, frag, hasFrag := strings.Cut(path, "#")
	if strings.Contains(path, "?") {
		path += "&" + kv
	} else {
		path += "?" + kv
	}
	if hasFrag {
		path += "#" + frag
	}
	return path
}

// taskFinish closes a task as done with its outcome, or cancels it.
func (u *UI) taskFinish(w http.ResponseWriter, r *http.Request, rq *request) {
	u.taskAction(w, r, rq, "finish")
}

// taskAssign gives a task to a member and/or a team.
func (u *UI) taskAssign(w http.ResponseWriter, r *http.Request, rq *request) {
	u.taskAction(w, r, rq, "assign")
}

func (u *UI) taskAction(w http.ResponseWriter, r *http.Request, rq *request, action string) {
	svc, ok := u.workingDesk(w, r, rq)
	if !ok {
		return
	}
	id, err := pathID(r, "task")
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ctx, version := r.Context(), formInt(r, "version")
	var k *service.Task
	done := action
	if action == "finish" {
		status := strings.TrimSpace(r.PostFormValue("status"))
		k, err = svc.FinishTask(ctx, rq.shop.ID, id, version, status, r.PostFormValue("outcome"))
		done = status
	} else {
		k, err = svc.AssignTask(ctx, rq.shop.ID, id, version, formInt(r, "assignee_id"), formInt(r, "team_id"))
	}
	if err != nil {
		if guanxi.ErrorCode(err) == guanxi.ENOTFOUND {
			u.fail(w, r, rq, err)
			return
		}
		msg, status, ok := formError(rq.locale, err)
		if !ok {
			u.fail(w, r, rq, err)
			return
		}
		u.showTasks(w, r, rq, svc, &taskListPage{View: r.PostFormValue("view"), Error: msg}, status)
		return
	}
	u.log.Info("task "+action, "shop", rq.shop.Code, "task", k.ID, "user", rq.sess.User.Username)
	next := localPath(r.PostFormValue("next"))
	if next == "" {
		next = "/s/" + rq.shop.Code + "/tasks?view=" + r.PostFormValue("view")
	}
	http.Redirect(w, r, withQuery(next, "done="+done+"&task="+strconv.FormatInt(k.ID, 10)), http.StatusSeeOther)
}
