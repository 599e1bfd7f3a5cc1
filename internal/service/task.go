package service

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Kinds of follow-up task (回访).
const (
	TaskFollowUp  = "follow_up" // after a ticket or complaint
	TaskDetractor = "detractor" // opened by a low survey answer
	TaskCare      = "care"      // opened by a care rule
	TaskCallback  = "callback"  // the customer asked to be called
)

// TaskKinds lists every kind of task.
var TaskKinds = []string{TaskFollowUp, TaskDetractor, TaskCare, TaskCallback}

// Task states.
const (
	TaskOpen      = "open"
	TaskDone      = "done"
	TaskCancelled = "cancelled"
)

// Task is a follow-up for the care team: call or message a customer by a
// due date and record the outcome.
type Task struct {
	ID         int64
	CustomerID int64
	TicketID   int64 // 0: none
	Kind       string
	Title      string
	Body       string
	AssigneeID int64 // 0: unassigned
	TeamID     int64 // 0: none
	DueAt      time.Time
	Status     string
	Outcome    string
	// Source says who or what opened the task (user:wang, survey:12,
	// care:3); SourceKey, when set, makes opening it idempotent: a second
	// OpenTask with the same key returns the first task.
	Source    string
	SourceKey string
	CreatedBy int64
	CreatedAt time.Time
	DoneAt    time.Time
	DoneBy    int64
	Version   int64
}

// Overdue reports whether an open task is past its due time at t.
func (k *Task) Overdue(t time.Time) bool { return k.Status == TaskOpen && t.After(k.DueAt) }

func checkTask(k *Task) error {
	k.Title = strings.TrimSpace(k.Title)
	switch {
	case !slices.Contains(TaskKinds, k.Kind):
		return invalid("kind", "%q: expected one of %s", k.Kind, strings.Join(TaskKinds, ", "))
	case k.Title == "":
		return invalid("title", "required")
	case utf8.RuneCountInString(k.Title) > 200:
		return invalid("title", "longer than 200 characters")
	case utf8.RuneCountInString(k.Body) > 5000:
		return invalid("body", "longer than 5000 characters")
	case k.CustomerID <= 0:
		return invalid("customer_id", "required")
	case k.DueAt.IsZero():
		return invalid("due_at", "required")
	}
	return nil
}

// OpenTask opens a task and sets its ID, status and version. With a
// SourceKey already used in the shop it opens nothing and returns false,
// filling k with the task that key opened, so jobs can run again safely.
func (s *Service) OpenTask(ctx context.Context, shopID int64, k *Task) (bool, error) {
	var opened bool
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		opened, err = s.OpenTaskTx(ctx, tx, shopID, k)
		return err
	})
	return opened, err
}

// OpenTaskTx is OpenTask inside the caller's transaction, for a job that
// records its own progress in the same commit.
func (s *Service) OpenTaskTx(ctx context.Context, tx *store.Tx, shopID int64, k *Task) (bool, error) {
	if err := checkTask(k); err != nil {
		return false, err
	}
	if k.SourceKey != "" {
		prev, err := taskList(ctx, tx, shopID, `WHERE shop_id = ? AND source_key = ?`, shopID, k.SourceKey)
		if err != nil {
			return false, err
		}
		if len(prev) > 0 {
			*k = prev[0]
			return false, nil
		}
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND id = ?`, shopID, k.CustomerID).Scan(&n); err != nil {
		return false, fmt.Errorf("service: check customer %d: %w", k.CustomerID, err)
	}
	if n == 0 {
		return false, invalid("customer_id", "customer %d not found", k.CustomerID)
	}
	if k.TicketID != 0 {
		if _, err := get(ctx, tx, shopID, k.TicketID); err != nil {
			if guanxi.ErrorCode(err) == guanxi.ENOTFOUND {
				return false, invalid("ticket_id", "ticket %d not found", k.TicketID)
			}
			return false, err
		}
	}
	if err := checkAssignee(ctx, tx, shopID, k.AssigneeID, k.TeamID); err != nil {
		return false, err
	}
	id, err := tx.NextIDs(ctx, shopID, "tasks", 1)
	if err != nil {
		return false, fmt.Errorf("service: open task in shop %d: %w", shopID, err)
	}
	now := s.now()
	a := audit.ActorFrom(ctx)
	if k.Source == "" {
		k.Source = a.Name
	}
	k.ID, k.Status, k.Outcome, k.Version = id, TaskOpen, "", 1
	k.CreatedBy, k.CreatedAt, k.DoneAt, k.DoneBy = a.UserID, now, time.Time{}, 0
	k.DueAt = time.Unix(k.DueAt.Unix(), 0)
	if _, err := tx.Exec(ctx, `INSERT INTO tasks (shop_id, id, customer_id, ticket_id, kind, title, body, assignee_id, team_id, due_at,
status, source, source_key, created_by, created_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		shopID, id, k.CustomerID, store.NullInt(k.TicketID), k.Kind, k.Title, k.Body, store.NullInt(k.AssigneeID), store.NullInt(k.TeamID),
		k.DueAt.Unix(), k.Status, k.Source, nullString(k.SourceKey), store.NullInt(k.CreatedBy), now.Unix(), k.Version); err != nil {
		return false, fmt.Errorf("service: open task in shop %d: %w", shopID, store.MapError(err))
	}
	if err := audit.Write(ctx, tx, shopID, "task.open", "task", id,
		map[string]any{"kind": k.Kind, "customer_id": k.CustomerID, "source": k.Source}, now); err != nil {
		return false, err
	}
	return true, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// FinishTask closes an open task as done with its outcome (required), or
// as cancelled. It fails with ECONFLICT when the task moved on since the
// caller read version, and EINVALID when it is no longer open.
func (s *Service) FinishTask(ctx context.Context, shopID, id, version int64, status, outcome string) (*Task, error) {
	outcome = strings.TrimSpace(outcome)
	switch {
	case status != TaskDone && status != TaskCancelled:
		return nil, invalid("status", "%q: expected done or cancelled", status)
	case status == TaskDone && outcome == "":
		return nil, invalid("outcome", "required: what came of the follow-up")
	case utf8.RuneCountInString(outcome) > 5000:
		return nil, invalid("outcome", "longer than 5000 characters")
	}
	var k *Task
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if k, err = getTask(ctx, tx, shopID, id); err != nil {
			return err
		}
		if k.Version != version {
			return guanxi.Errorf(guanxi.ECONFLICT, "task %d was changed by someone else (version %d, yours %d): reload it", id, k.Version, version)
		}
		if k.Status != TaskOpen {
			return invalid("status", "task %d is already %s", id, k.Status)
		}
		now := s.now()
		a := audit.ActorFrom(ctx)
		k.Status, k.Outcome, k.DoneAt, k.DoneBy, k.Version = status, outcome, now, a.UserID, k.Version+1
		if _, err := tx.Exec(ctx, `UPDATE tasks SET status = ?, outcome = ?, done_at = ?, done_by = ?, version = ? WHERE shop_id = ? AND id = ?`,
			k.Status, k.Outcome, now.Unix(), store.NullInt(a.UserID), k.Version, shopID, id); err != nil {
			return fmt.Errorf("service: finish task %d: %w", id, err)
		}
		return audit.Write(ctx, tx, shopID, "task."+status, "task", id, map[string]any{"outcome": outcome}, now)
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// AssignTask gives an open task to a member of the shop and/or a team.
func (s *Service) AssignTask(ctx context.Context, shopID, id, version, userID, teamID int64) (*Task, error) {
	var k *Task
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if k, err = getTask(ctx, tx, shopID, id); err != nil {
			return err
		}
		if k.Version != version {
			return guanxi.Errorf(guanxi.ECONFLICT, "task %d was changed by someone else (version %d, yours %d): reload it", id, k.Version, version)
		}
		if err := checkAssignee(ctx, tx, shopID, userID, teamID); err != nil {
			return err
		}
		k.AssigneeID, k.TeamID, k.Version = userID, teamID, k.Version+1
		if _, err := tx.Exec(ctx, `UPDATE tasks SET assignee_id = ?, team_id = ?, version = ? WHERE shop_id = ? AND id = ?`,
			store.NullInt(userID), store.NullInt(teamID), k.Version, shopID, id); err != nil {
			return fmt.Errorf("service: assign task %d: %w", id, err)
		}
		return audit.Write(ctx, tx, shopID, "task.assign", "task", id, map[string]any{"assignee_id": userID, "team_id": teamID}, s.now())
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Task returns a task, or ENOTFOUND.
func (s *Service) Task(ctx context.Context, shopID, id int64) (*Task, error) {
	return getTask(ctx, s.db, shopID, id)
}

// TaskFilter selects tasks; zero fields select all.
type TaskFilter struct {
	Status     string // open, done, cancelled
	AssigneeID int64
	CustomerID int64
	TicketID   int64
	Kind       string
	DueBefore  time.Time // open tasks due before this time: the overdue list
	Limit      int       // default 200
}

// Tasks lists tasks, soonest due first for open tasks and newest first
// otherwise.
func (s *Service) Tasks(ctx context.Context, shopID int64, f TaskFilter) ([]Task, error) {
	where := []string{"shop_id = ?"}
	args := []any{shopID}
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.AssigneeID != 0 {
		add("assignee_id = ?", f.AssigneeID)
	}
	if f.CustomerID != 0 {
		add("customer_id = ?", f.CustomerID)
	}
	if f.TicketID != 0 {
		add("ticket_id = ?", f.TicketID)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if !f.DueBefore.IsZero() {
		add("status = 'open' AND due_at < ?", f.DueBefore.Unix())
	}
	order := "id DESC"
	if f.Status == TaskOpen || !f.DueBefore.IsZero() {
		order = "due_at, id"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	return taskList(ctx, s.db, shopID, `WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+fmt.Sprintf(` LIMIT %d`, limit), args...)
}

const taskCols = `id, customer_id, ticket_id, kind, title, body, assignee_id, team_id, due_at, status, outcome, source, source_key,
created_by, created_at, done_at, done_by, version`

func getTask(ctx context.Context, q querier, shopID, id int64) (*Task, error) {
	ks, err := taskList(ctx, q, shopID, `WHERE shop_id = ? AND id = ?`, shopID, id)
	if err != nil {
		return nil, err
	}
	if len(ks) == 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "task %d not found", id)
	}
	return &ks[0], nil
}

func taskList(ctx context.Context, q querier, shopID int64, where string, args ...any) ([]Task, error) {
	rows, err := q.Query(ctx, `SELECT `+taskCols+` FROM tasks `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("service: tasks of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []Task
	for rows.Next() {
		var k Task
		var ticket, assignee, team, by, done, doneBy sql.NullInt64
		var key sql.NullString
		var due, created int64
		if err := rows.Scan(&k.ID, &k.CustomerID, &ticket, &k.Kind, &k.Title, &k.Body, &assignee, &team, &due, &k.Status, &k.Outcome,
			&k.Source, &key, &by, &created, &done, &doneBy, &k.Version); err != nil {
			return nil, fmt.Errorf("service: tasks of shop %d: %w", shopID, err)
		}
		k.TicketID, k.AssigneeID, k.TeamID, k.CreatedBy, k.DoneBy = ticket.Int64, assignee.Int64, team.Int64, by.Int64, doneBy.Int64
		k.SourceKey = key.String
		k.DueAt, k.CreatedAt, k.DoneAt = time.Unix(due, 0), time.Unix(created, 0), store.TimeOf(done)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("service: tasks of shop %d: %w", shopID, err)
	}
	return out, nil
}
