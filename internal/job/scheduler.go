package job

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// Handler does a job's work, reporting progress (stage, share done 0..1)
// as it goes, and returns a one-line result. It must stop when ctx is done.
type Handler func(ctx context.Context, j *Job, progress func(stage string, done float64)) (result string, err error)

// ShopZone is a shop as the scheduler needs it: when is 02:00 there?
type ShopZone struct {
	ID       int64
	Location *time.Location
}

// Daily queues a kind of job for every shop once a day at a time of day in
// the shop's zone.
type Daily struct {
	Kind   string
	Hour   int
	Minute int
}

// Scheduler queues the daily jobs and runs due jobs one at a time.
type Scheduler struct {
	store    *Store
	clock    guanxi.Clock
	log      *slog.Logger
	shops    func(ctx context.Context) ([]ShopZone, error)
	handlers map[string]Handler
	daily    []Daily

	// Poll is how often the queue is looked at; 30 seconds by default.
	Poll time.Duration
	// ProgressEvery bounds how often a job's progress is written; stage
	// changes are always written. 500 ms by default.
	ProgressEvery time.Duration
}

// NewScheduler returns a Scheduler over st for the shops shops lists.
func NewScheduler(st *Store, clock guanxi.Clock, log *slog.Logger, shops func(ctx context.Context) ([]ShopZone, error)) *Scheduler {
	return &Scheduler{store: st, clock: clock, log: log, shops: shops, handlers: map[string]Handler{},
		Poll: 30 * time.Second, ProgressEvery: 500 * time.Millisecond}
}

// Handle registers the handler of a kind of job.
func (s *Scheduler) Handle(kind string, h Handler) { s.handlers[kind] = h }

// Every queues kind for every shop each day at hh:mm shop time.
func (s *Scheduler) Every(d Daily) { s.daily = append(s.daily, d) }

// NextAt returns the first hh:mm in loc strictly after now.
func NextAt(now time.Time, loc *time.Location, hour, minute int) time.Time {
	l := now.In(loc)
	t := time.Date(l.Year(), l.Month(), l.Day(), hour, minute, 0, 0, loc)
	if !t.After(now) {
		t = time.Date(l.Year(), l.Month(), l.Day()+1, hour, minute, 0, 0, loc)
	}
	return t
}

// Plan queues each daily job for each shop that has none queued.
func (s *Scheduler) Plan(ctx context.Context) error {
	if len(s.daily) == 0 {
		return nil
	}
	shops, err := s.shops(ctx)
	if err != nil {
		return fmt.Errorf("job: plan: %w", err)
	}
	now := s.clock.Now()
	for _, sh := range shops {
		for _, d := range s.daily {
			pending, err := s.store.Pending(ctx, sh.ID, d.Kind, Schedule)
			if err != nil {
				return err
			}
			if pending {
				continue
			}
			due := NextAt(now, sh.Location, d.Hour, d.Minute)
			if _, err := s.store.Enqueue(ctx, sh.ID, d.Kind, Schedule, due); err != nil {
				return err
			}
			s.log.Info("job queued", "kind", d.Kind, "shop_id", sh.ID, "due", due.Format(time.RFC3339))
		}
	}
	return nil
}

// RunOnce plans, then runs every job that is due, one after another. It
// returns the jobs it ran.
func (s *Scheduler) RunOnce(ctx context.Context) ([]*Job, error) {
	if err := s.Plan(ctx); err != nil {
		return nil, err
	}
	kinds := make([]string, 0, len(s.handlers))
	for k := range s.handlers {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var ran []*Job
	for ctx.Err() == nil {
		j, err := s.store.Claim(ctx, kinds)
		if err != nil || j == nil {
			return ran, err
		}
		ran = append(ran, j)
		if err := s.run(ctx, j); err != nil {
			return ran, err
		}
		// A daily job that ran is followed by tomorrow's.
		if err := s.Plan(ctx); err != nil {
			return ran, err
		}
	}
	return ran, nil
}

// Exec runs j, already claimed (Store.Start), with its kind's handler.
func (s *Scheduler) Exec(ctx context.Context, j *Job) error { return s.run(ctx, j) }

// run runs a claimed job and records how it ended. A job stopped by ctx
// (a shutdown) is queued again, to run anew.
func (s *Scheduler) run(ctx context.Context, j *Job) error {
	h := s.handlers[j.Kind]
	if h == nil {
		return s.store.Finish(ctx, j, "", fmt.Errorf("no handler for jobs of kind %q", j.Kind))
	}
	start := time.Now()
	s.log.Info("job started", "kind", j.Kind, "shop_id", j.ShopID, "job", j.ID, "source", j.Source)
	var mu sync.Mutex
	var last time.Time
	var lastStage string
	progress := func(stage string, done float64) {
		mu.Lock()
		defer mu.Unlock()
		if stage == lastStage && time.Since(last) < s.ProgressEvery {
			return
		}
		last, lastStage = time.Now(), stage
		if err := s.store.Progress(ctx, j, stage, done); err != nil && ctx.Err() == nil {
			s.log.Warn("job progress not recorded", "job", j.ID, "err", err)
		}
	}
	result, err := h(ctx, j, progress)
	// The outcome is recorded even when ctx is done: a detached context.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err != nil && ctx.Err() != nil {
		s.log.Info("job interrupted; queued again", "kind", j.Kind, "job", j.ID)
		return s.store.Requeue(rctx, j)
	}
	if ferr := s.store.Finish(rctx, j, result, err); ferr != nil {
		return ferr
	}
	if err != nil {
		s.log.Error("job failed", "kind", j.Kind, "shop_id", j.ShopID, "job", j.ID, "err", err, "seconds", time.Since(start).Seconds())
	} else {
		s.log.Info("job done", "kind", j.Kind, "shop_id", j.ShopID, "job", j.ID, "result", result, "seconds", time.Since(start).Seconds())
	}
	return nil
}

// Run recovers jobs a previous runner left running, then polls the queue
// until ctx is done. Errors are logged, not returned: a database hiccup
// must not stop the server's scheduler.
func (s *Scheduler) Run(ctx context.Context) {
	if n, err := s.store.Recover(ctx); err != nil {
		s.log.Error("job recovery failed", "err", err)
	} else if n > 0 {
		s.log.Warn("jobs left running by a previous run queued again", "jobs", n)
	}
	t := time.NewTicker(s.Poll)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("job runner", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
