package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/service"
)

// Follow-up tasks (回访) under /tasks, and canned replies under
// /canned-replies. Scopes tickets:read and tickets:write.

type taskJSON struct {
	ID         int64      `json:"id"`
	CustomerID int64      `json:"customer_id"`
	TicketID   *int64     `json:"ticket_id"`
	Kind       string     `json:"kind"`
	Title      string     `json:"title"`
	Body       string     `json:"body"`
	AssigneeID *int64     `json:"assignee_id"`
	TeamID     *int64     `json:"team_id"`
	DueAt      time.Time  `json:"due_at"`
	Status     string     `json:"status"`
	Outcome    string     `json:"outcome"`
	Source     string     `json:"source"`
	CreatedAt  time.Time  `json:"created_at"`
	DoneAt     *time.Time `json:"done_at"`
	Overdue    bool       `json:"overdue"`
	Version    int64      `json:"version"`
}

func (a *API) taskOf(k *service.Task) taskJSON {
	return taskJSON{ID: k.ID, CustomerID: k.CustomerID, TicketID: idOrNil(k.TicketID), Kind: k.Kind, Title: k.Title, Body: k.Body,
		AssigneeID: idOrNil(k.AssigneeID), TeamID: idOrNil(k.TeamID), DueAt: k.DueAt.UTC(), Status: k.Status, Outcome: k.Outcome,
		Source: k.Source, CreatedAt: k.CreatedAt.UTC(), DoneAt: timeOrNil(k.DoneAt), Overdue: k.Overdue(a.cfg.Clock.Now()), Version: k.Version}
}

func (a *API) writeTask(w http.ResponseWriter, status int, k *service.Task) {
	setVersion(w, k.Version)
	writeJSON(w, status, a.taskOf(k))
}

// listTasks: GET /tasks, filtered by ?status= (open, done, cancelled),
// ?assignee_id=, ?customer_id=, ?ticket_id=, ?kind= and ?overdue=true
// (open and past due now); at most ?limit= (default 200).
func (a *API) listTasks(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := service.TaskFilter{Status: q.Get("status"), Kind: q.Get("kind")}
	for name, dst := range map[string]*int64{"assignee_id": &f.AssigneeID, "customer_id": &f.CustomerID, "ticket_id": &f.TicketID} {
		v, err := queryID(r, name)
		if err != nil {
			return err
		}
		if v != nil {
			*dst = *v
		}
	}
	overdue, err := queryBool(r, "overdue")
	if err != nil {
		return err
	}
	if overdue != nil && *overdue {
		f.DueBefore = a.cfg.Clock.Now()
	}
	if f.Limit, err = queryInt(r, "limit", 200, 1, 500); err != nil {
		return err
	}
	list := func(ctx context.Context, shopID int64) ([]service.Task, error) { return svc.Tasks(ctx, shopID, f) }
	return listAll(w, r, t, "tasks", list, a.taskOf)
}

// taskInput is the body of POST /tasks.
type taskInput struct {
	CustomerID     int64  `json:"customer_id"`
	TicketID       int64  `json:"ticket_id"`
	Kind           string `json:"kind"`
	Title          string `json:"title"`
	Body           string `json:"body"`
	AssigneeID     int64  `json:"assignee_id"`
	TeamID         int64  `json:"team_id"`
	DueAt          string `json:"due_at"`
	IdempotencyKey string `json:"idempotency_key"`
}

// createTask: POST /tasks, 201 with the task; with an idempotency_key
// already used, 200 with the task it opened.
func (a *API) createTask(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	var in taskInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	k := &service.Task{CustomerID: in.CustomerID, TicketID: in.TicketID, Kind: in.Kind, Title: in.Title, Body: in.Body,
		AssigneeID: in.AssigneeID, TeamID: in.TeamID, Source: "token:" + strconv.FormatInt(t.ID, 10)}
	if in.DueAt != "" {
		if k.DueAt, err = time.Parse(time.RFC3339, in.DueAt); err != nil {
			return guanxi.Errorf(guanxi.EINVALID, "due_at %q: expected an RFC 3339 time, e.g. 2025-07-01T10:00:00+08:00", in.DueAt)
		}
	}
	if key := strings.TrimSpace(in.IdempotencyKey); key != "" {
		if len(key) > 200 {
			return guanxi.Errorf(guanxi.EINVALID, "idempotency_key: at most 200 bytes")
		}
		k.SourceKey = "api:" + key
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	opened, err := svc.OpenTask(ctx, t.ShopID, k)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !opened {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/api/v1/tasks/"+strconv.FormatInt(k.ID, 10))
	a.writeTask(w, status, k)
	return nil
}

// getTask: GET /tasks/{id}.
func (a *API) getTask(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
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
	k, err := svc.Task(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	a.writeTask(w, http.StatusOK, k)
	return nil
}

type finishInput struct {
	versioned
	Status  string `json:"status"` // done (the default) or cancelled
	Outcome string `json:"outcome"`
}

type taskAssignInput struct {
	versioned
	AssigneeID int64 `json:"assignee_id"`
	TeamID     int64 `json:"team_id"`
}

// taskChange runs a versioned change of the task named by the path.
func (a *API) taskChange(w http.ResponseWriter, r *http.Request, in interface{ ver() *int64 },
	change func(r *http.Request, svc *service.Service, id, version int64) (*service.Task, error)) error {
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
	version, err := versionOf(r, in.ver(), "task", "/tasks/{id}")
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	k, err := change(r.WithContext(ctx), svc, id, version)
	if err != nil {
		return err
	}
	a.writeTask(w, http.StatusOK, k)
	return nil
}

// finishTask: POST /tasks/{id}/finish, done with its outcome (required) or
// cancelled.
func (a *API) finishTask(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	var in finishInput
	return a.taskChange(w, r, &in, func(r *http.Request, svc *service.Service, id, version int64) (*service.Task, error) {
		st := in.Status
		if st == "" {
			st = service.TaskDone
		}
		return svc.FinishTask(r.Context(), t.ShopID, id, version, st, in.Outcome)
	})
}

// assignTask: POST /tasks/{id}/assign.
func (a *API) assignTask(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	var in taskAssignInput
	return a.taskChange(w, r, &in, func(r *http.Request, svc *service.Service, id, version int64) (*service.Task, error) {
		if in.AssigneeID < 0 || in.TeamID < 0 {
			return nil, guanxi.Errorf(guanxi.EINVALID, "assignee_id, team_id: expected whole numbers (0: none)")
		}
		return svc.AssignTask(r.Context(), t.ShopID, id, version, in.AssigneeID, in.TeamID)
	})
}

// cannedJSON is a canned reply (快捷回复).
type cannedJSON struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

func cannedOf(c *service.CannedReply) cannedJSON {
	return cannedJSON{ID: c.ID, Title: c.Title, Body: c.Body, Kind: c.Kind, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), Version: c.Version}
}

// listCanned: GET /canned-replies, by title; ?kind= keeps those suiting a
// ticket kind.
func (a *API) listCanned(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	kind := r.URL.Query().Get("kind")
	list := func(ctx context.Context, shopID int64) ([]service.CannedReply, error) {
		return svc.CannedReplies(ctx, shopID, kind)
	}
	return listAll(w, r, t, "canned_replies", list, cannedOf)
}

type cannedInput struct {
	versioned
	Title string `json:"title"`
	Body  string `json:"body"`
	Kind  string `json:"kind"`
}

// createCanned: POST /canned-replies, 201.
func (a *API) createCanned(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	var in cannedInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	c := &service.CannedReply{Title: in.Title, Body: in.Body, Kind: in.Kind}
	if err := svc.CreateCannedReply(ctx, t.ShopID, c); err != nil {
		return err
	}
	setVersion(w, c.Version)
	writeJSON(w, http.StatusCreated, cannedOf(c))
	return nil
}

// getCanned: GET /canned-replies/{id}.
func (a *API) getCanned(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	return getOne(w, r, t, svc.CannedReply, cannedOf)
}

// putCanned: PUT /canned-replies/{id}, on the version named by If-Match or
// the body's.
func (a *API) putCanned(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in cannedInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	version, err := versionOf(r, in.Version, "canned reply", "/canned-replies/{id}")
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	c := &service.CannedReply{ID: id, Title: in.Title, Body: in.Body, Kind: in.Kind, Version: version}
	if err := svc.UpdateCannedReply(ctx, t.ShopID, c); err != nil {
		return err
	}
	if c, err = svc.CannedReply(ctx, t.ShopID, id); err != nil {
		return err
	}
	setVersion(w, c.Version)
	writeJSON(w, http.StatusOK, cannedOf(c))
	return nil
}

// deleteCanned: DELETE /canned-replies/{id}.
func (a *API) deleteCanned(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	return deleteOne(w, r, t, svc.DeleteCannedReply)
}
