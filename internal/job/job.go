// Package job runs Guanxi's background work — nightly scoring now; campaign
// dispatch, care rules and survey sends later — from a persisted job table
// (DESIGN.md): a job is queued with the time it is due, claimed by one
// runner, reports its progress as it goes, and ends done or failed with a
// one-line result. A job interrupted by a shutdown or a crash is queued
// again and runs anew, so handlers must be safe to rerun (scoring replaces
// a shop's scores whole).
package job

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Statuses of a job.
const (
	Queued  = "queued"
	Running = "running"
	Done    = "done"
	Failed  = "failed"
)

// Sources of a job.
const (
	Schedule = "schedule" // queued by the scheduler
	Manual   = "manual"   // asked for by a person (CLI, UI)
)

// Job is one row of the job table.
type Job struct {
	ShopID     int64      `json:"shop_id"`
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Source     string     `json:"source"`
	Status     string     `json:"status"`
	DueAt      time.Time  `json:"due_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Progress   float64    `json:"progress"` // 0..1
	Stage      string     `json:"stage"`
	Result     string     `json:"result,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// Store reads and writes the job table.
type Store struct {
	db    *store.DB
	clock guanxi.Clock
}

// NewStore returns a Store over db.
func NewStore(db *store.DB, clock guanxi.Clock) *Store { return &Store{db: db, clock: clock} }

// Enqueue queues a job of kind for the shop, due at due.
func (s *Store) Enqueue(ctx context.Context, shopID int64, kind, source string, due time.Time) (*Job, error) {
	j := &Job{ShopID: shopID, Kind: kind, Source: source, Status: Queued, DueAt: due}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		id, err := tx.NextIDs(ctx, shopID, "jobs", 1)
		if err != nil {
			return err
		}
		j.ID = id
		_, err = tx.Exec(ctx, `INSERT INTO jobs (shop_id, id, kind, source, status, due_at) VALUES (?, ?, ?, ?, ?, ?)`,
			shopID, id, kind, source, Queued, due.Unix())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("job: enqueue %s: %w", kind, err)
	}
	return j, nil
}

// Start records a job that starts now, outside the scheduler (a person ran
// it from the command line): it is claimed from the start.
func (s *Store) Start(ctx context.Context, shopID int64, kind, source string) (*Job, error) {
	j, err := s.Enqueue(ctx, shopID, kind, source, s.clock.Now())
	if err != nil {
		return nil, err
	}
	ok, err := s.claim(ctx, j)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("job: %s %d was taken by another runner", kind, j.ID)
	}
	return j, nil
}

// Pending reports whether the shop has a queued job of kind from source.
func (s *Store) Pending(ctx context.Context, shopID int64, kind, source string) (bool, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM jobs WHERE shop_id = ? AND kind = ? AND source = ? AND status = ?`,
		shopID, kind, source, Queued).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("job: pending %s: %w", kind, err)
	}
	return n > 0, nil
}

// Claim takes the queued job due longest ago whose kind is one of kinds
// and marks it running; nil when none is due. Runners racing for one job
// both try, and only one changes its status; the other takes the next.
func (s *Store) Claim(ctx context.Context, kinds []string) (*Job, error) {
	rows, err := s.db.Query(ctx, `SELECT shop_id, id, kind, source, due_at FROM jobs WHERE status = ? AND due_at <= ? ORDER BY due_at, shop_id, id LIMIT 100`,
		Queued, s.clock.Now().Unix())
	if err != nil {
		return nil, fmt.Errorf("job: claim: %w", err)
	}
	var cands []*Job
	for rows.Next() {
		j := &Job{Status: Queued}
		var due int64
		if err := rows.Scan(&j.ShopID, &j.ID, &j.Kind, &j.Source, &due); err != nil {
			rows.Close()
			return nil, fmt.Errorf("job: claim: %w", err)
		}
		j.DueAt = time.Unix(due, 0)
		if contains(kinds, j.Kind) {
			cands = append(cands, j)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("job: claim: %w", err)
	}
	for _, j := range cands {
		ok, err := s.claim(ctx, j)
		if err != nil {
			return nil, err
		}
		if ok {
			return j, nil
		}
	}
	return nil, nil
}

func contains(kinds []string, k string) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// claim marks j running if it is still queued.
func (s *Store) claim(ctx context.Context, j *Job) (bool, error) {
	now := s.clock.Now()
	res, err := s.db.Exec(ctx, `UPDATE jobs SET status = ?, started_at = ?, progress = 0, stage = '' WHERE shop_id = ? AND id = ? AND status = ?`,
		Running, now.Unix(), j.ShopID, j.ID, Queued)
	if err != nil {
		return false, fmt.Errorf("job: claim %d: %w", j.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("job: claim %d: %w", j.ID, err)
	}
	if n == 1 {
		j.Status, j.StartedAt = Running, &now
	}
	return n == 1, nil
}

// Progress records how far a running job is.
func (s *Store) Progress(ctx context.Context, j *Job, stage string, done float64) error {
	_, err := s.db.Exec(ctx, `UPDATE jobs SET stage = ?, progress = ? WHERE shop_id = ? AND id = ? AND status = ?`,
		stage, done, j.ShopID, j.ID, Running)
	if err != nil {
		return fmt.Errorf("job: progress %d: %w", j.ID, err)
	}
	j.Stage, j.Progress = stage, done
	return nil
}

// Finish ends a running job: done with its result, or failed with err.
func (s *Store) Finish(ctx context.Context, j *Job, result string, runErr error) error {
	now := s.clock.Now()
	status, msg, progress := Done, "", 1.0
	if runErr != nil {
		status, msg, progress = Failed, runErr.Error(), j.Progress
	}
	_, err := s.db.Exec(ctx, `UPDATE jobs SET status = ?, finished_at = ?, progress = ?, result = ?, error = ? WHERE shop_id = ? AND id = ?`,
		status, now.Unix(), progress, result, msg, j.ShopID, j.ID)
	if err != nil {
		return fmt.Errorf("job: finish %d: %w", j.ID, err)
	}
	j.Status, j.FinishedAt, j.Progress, j.Result, j.Error = status, &now, progress, result, msg
	return nil
}

// Requeue puts a job that was interrupted back in the queue, due at once.
func (s *Store) Requeue(ctx context.Context, j *Job) error {
	_, err := s.db.Exec(ctx, `UPDATE jobs SET status = ?, started_at = NULL, progress = 0, stage = '' WHERE shop_id = ? AND id = ? AND status = ?`,
		Queued, j.ShopID, j.ID, Running)
	if err != nil {
		return fmt.Errorf("job: requeue %d: %w", j.ID, err)
	}
	j.Status = Queued
	return nil
}

// Recover queues again every job left running by a runner that stopped
// without finishing it (a crash, a kill): at start, before claiming. It
// returns how many it found.
func (s *Store) Recover(ctx context.Context) (int64, error) {
	res, err := s.db.Exec(ctx, `UPDATE jobs SET status = ?, started_at = NULL, progress = 0, stage = 'interrupted; queued again' WHERE status = ?`, Queued, Running)
	if err != nil {
		return 0, fmt.Errorf("job: recover: %w", err)
	}
	return res.RowsAffected()
}

// List returns a shop's latest jobs, newest first (every shop's when shopID
// is 0).
func (s *Store) List(ctx context.Context, shopID int64, limit int) ([]Job, error) {
	if limit <= 0 {
		limit = 50
	}
	q, args := `SELECT shop_id, id, kind, source, status, due_at, started_at, finished_at, progress, stage, result, error FROM jobs`, []any{}
	if shopID != 0 {
		q, args = q+` WHERE shop_id = ?`, append(args, shopID)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY due_at DESC, id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("job: list: %w", err)
	}
	defer rows.Close()
	out := []Job{}
	for rows.Next() {
		var j Job
		var due int64
		var started, finished sql.NullInt64
		if err := rows.Scan(&j.ShopID, &j.ID, &j.Kind, &j.Source, &j.Status, &due, &started, &finished, &j.Progress, &j.Stage, &j.Result, &j.Error); err != nil {
			return nil, fmt.Errorf("job: list: %w", err)
		}
		j.DueAt = time.Unix(due, 0)
		if started.Valid {
			t := time.Unix(started.Int64, 0)
			j.StartedAt = &t
		}
		if finished.Valid {
			t := time.Unix(finished.Int64, 0)
			j.FinishedAt = &t
		}
		out = append(out, j)
	}
	return out, rows.Err()
}
