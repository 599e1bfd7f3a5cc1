package report

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// The answers read from customer_scores change only when the shop is
// scored again, but each reads every scored customer: seconds for a
// million. They are kept per shop and question until a new score run, or
// at most byRunTTL (merges and erasures touch scores between runs).
const byRunTTL = 10 * time.Minute

type runCache struct {
	mu      sync.Mutex
	answers map[string]runAnswer
}

type runAnswer struct {
	run   int64
	at    time.Time
	value any
}

// byRun returns the answer to question key for the shop from the cache
// while its latest score run is unchanged, else computes and keeps it.
func byRun[T any](ctx context.Context, s *Service, shopID int64, key string, compute func() (T, error)) (T, error) {
	var zero T
	var run int64
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM score_runs WHERE shop_id = ?`, shopID).Scan(&run); err != nil {
		return zero, fmt.Errorf("report: latest score run: %w", err)
	}
	k := fmt.Sprintf("%d %s", shopID, key)
	s.runs.mu.Lock()
	a, ok := s.runs.answers[k]
	s.runs.mu.Unlock()
	if ok && a.run == run && time.Since(a.at) < byRunTTL {
		return a.value.(T), nil
	}
	v, err := compute()
	if err != nil {
		return zero, err
	}
	s.runs.mu.Lock()
	if s.runs.answers == nil {
		s.runs.answers = map[string]runAnswer{}
	}
	s.runs.answers[k] = runAnswer{run: run, at: time.Now(), value: v}
	s.runs.mu.Unlock()
	return v, nil
}
