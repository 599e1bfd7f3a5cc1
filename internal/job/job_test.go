package job_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// clock is a clock the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

var ctx = context.Background()

func setup(t *testing.T, db *store.DB, c *clock) (*job.Store, *job.Scheduler, *shop.Shop) {
	t.Helper()
	sh := &shop.Shop{Code: "s1", Timezone: "Asia/Shanghai"}
	if err := shop.NewService(db, c).Create(ctx, sh); err != nil {
		t.Fatal(err)
	}
	st := job.NewStore(db, c)
	s := job.NewScheduler(st, c, slog.New(slog.DiscardHandler), func(context.Context) ([]job.ShopZone, error) {
		return []job.ShopZone{{ID: sh.ID, Location: sh.Location()}}, nil
	})
	s.ProgressEvery = 0
	return st, s, sh
}

func TestNextAt(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2025, 6, 30, 1, 30, 0, 0, sh)
	if got := job.NextAt(now, sh, 2, 0); !got.Equal(time.Date(2025, 6, 30, 2, 0, 0, 0, sh)) {
		t.Errorf("01:30 → %v", got)
	}
	if got := job.NextAt(time.Date(2025, 6, 30, 2, 0, 0, 0, sh), sh, 2, 0); !got.Equal(time.Date(2025, 7, 1, 2, 0, 0, 0, sh)) {
		t.Errorf("02:00 → %v, want the next day", got)
	}
}

// The nightly job is queued for 02:00 shop time, runs once when due with
// its progress recorded, and is followed by the next night's.
func TestNightly(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh, _ := time.LoadLocation("Asia/Shanghai")
		c := &clock{now: time.Date(2025, 6, 30, 10, 0, 0, 0, sh)}
		st, s, shp := setup(t, db, c)
		var runs atomic.Int32
		s.Handle("score", func(ctx context.Context, j *job.Job, progress func(string, float64)) (string, error) {
			runs.Add(1)
			progress("read orders", 0.1)
			progress("store", 0.8)
			got, err := st.List(ctx, shp.ID, 1)
			if err != nil || got[0].Stage != "store" || got[0].Progress != 0.8 || got[0].Status != job.Running {
				t.Errorf("progress while running: %+v %v", got, err)
			}
			return "42 customers scored", nil
		})
		s.Every(job.Daily{Kind: "score", Hour: 2})
		if ran, err := s.RunOnce(ctx); err != nil || len(ran) != 0 {
			t.Fatalf("before 02:00: ran %d, %v", len(ran), err)
		}
		js, _ := st.List(ctx, shp.ID, 10)
		if len(js) != 1 || js[0].Status != job.Queued || !js[0].DueAt.Equal(time.Date(2025, 7, 1, 2, 0, 0, 0, sh)) {
			t.Fatalf("queued %+v", js)
		}
		c.Set(time.Date(2025, 7, 1, 2, 0, 5, 0, sh))
		if ran, err := s.RunOnce(ctx); err != nil || len(ran) != 1 || runs.Load() != 1 {
			t.Fatalf("at 02:00: ran %d (%d runs), %v", len(ran), runs.Load(), err)
		}
		if ran, _ := s.RunOnce(ctx); len(ran) != 0 {
			t.Errorf("ran again the same night")
		}
		js, _ = st.List(ctx, shp.ID, 10)
		if len(js) != 2 || js[0].Status != job.Queued || !js[0].DueAt.Equal(time.Date(2025, 7, 2, 2, 0, 0, 0, sh)) ||
			js[1].Status != job.Done || js[1].Result != "42 customers scored" || js[1].Progress != 1 || js[1].FinishedAt == nil {
			t.Errorf("after the run: %+v", js)
		}
	})
}

// A failed job is recorded with its error; a job interrupted by shutdown,
// or left running by a crash, is queued again and runs anew.
func TestFailureAndRecovery(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		c := &clock{now: time.Date(2025, 6, 30, 10, 0, 0, 0, time.UTC)}
		st, s, shp := setup(t, db, c)
		fail := true
		s.Handle("score", func(ctx context.Context, j *job.Job, _ func(string, float64)) (string, error) {
			if fail {
				return "", errors.New("disk full")
			}
			return "ok", nil
		})
		j, _ := st.Enqueue(ctx, shp.ID, "score", job.Manual, c.Now())
		if _, err := s.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		js, _ := st.List(ctx, shp.ID, 10)
		if js[0].ID != j.ID || js[0].Status != job.Failed || js[0].Error != "disk full" {
			t.Errorf("failed job %+v", js[0])
		}

		// Shutdown mid-run: the handler sees ctx done and gives up.
		cctx, cancel := context.WithCancel(ctx)
		s.Handle("score", func(ctx context.Context, j *job.Job, _ func(string, float64)) (string, error) {
			cancel()
			<-ctx.Done()
			return "", ctx.Err()
		})
		j2, _ := st.Enqueue(ctx, shp.ID, "score", job.Manual, c.Now())
		if _, err := s.RunOnce(cctx); err != nil {
			t.Fatal(err)
		}
		js, _ = st.List(ctx, shp.ID, 10)
		if js[0].ID != j2.ID || js[0].Status != job.Queued {
			t.Errorf("interrupted job %+v, want queued again", js[0])
		}

		// A crash: claimed, never finished. Recover queues it again.
		claimed, err := st.Claim(ctx, []string{"score"})
		if err != nil || claimed == nil || claimed.ID != j2.ID {
			t.Fatalf("claim %+v %v", claimed, err)
		}
		if n, err := st.Recover(ctx); n != 1 || err != nil {
			t.Fatalf("recover %d %v", n, err)
		}
		fail = false
		s.Handle("score", func(ctx context.Context, j *job.Job, _ func(string, float64)) (string, error) { return "ok", nil })
		if ran, err := s.RunOnce(ctx); err != nil || len(ran) != 1 || ran[0].ID != j2.ID {
			t.Fatalf("after recovery ran %v, %v", ran, err)
		}
	})
}

// Two runners racing for the same queue run each job once.
func TestClaimOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		c := &clock{now: time.Date(2025, 6, 30, 10, 0, 0, 0, time.UTC)}
		st, _, shp := setup(t, db, c)
		for range 10 {
			if _, err := st.Enqueue(ctx, shp.ID, "score", job.Manual, c.Now()); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					j, err := st.Claim(ctx, []string{"score"})
					if err != nil {
						t.Error(err)
						return
					}
					if j == nil {
						return
					}
					mu.Lock()
					seen[j.ID]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 10 {
			t.Errorf("%d jobs claimed, want 10", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("job %d claimed %d times", id, n)
			}
		}
	})
}
