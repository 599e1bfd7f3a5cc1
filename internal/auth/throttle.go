package auth

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// Throttle bounds password guessing. A username locks after UserFailures
// failed sign-ins within Window, an address after AddrFailures (across
// usernames, so that spraying one password over many accounts is slowed
// too); each stays locked until its oldest failure in the window is older
// than Window. While locked, no password is checked at all, so a lock costs
// the guesser time, not the server. Failures are kept in the database,
// so a restart does not lift a lock and several servers share them.
type Throttle struct {
	Window       time.Duration
	UserFailures int
	AddrFailures int
}

// DefaultThrottle locks a username after 5 failures in 15 minutes, an
// address after 30.
var DefaultThrottle = Throttle{Window: 15 * time.Minute, UserFailures: 5, AddrFailures: 30}

// failureRetention is how long failures are kept at all.
const failureRetention = 24 * time.Hour

// Locked is the error of a sign-in refused because of earlier failures.
type Locked struct {
	Until time.Time
}

func (l *Locked) Error() string { return "too many failed sign-ins" }

// lockedErr returns the error for a lock that lifts at until: ELIMIT, with
// the wait in whole minutes for a person to read.
func lockedErr(now, until time.Time) error {
	mins := int(math.Ceil(until.Sub(now).Minutes()))
	return fmt.Errorf("%w: %w", guanxi.Errorf(guanxi.ELIMIT, "too many failed sign-ins: try again in %d minutes", max(1, mins)), &Locked{Until: until})
}

// lockedUntil returns when the lock on (kind, key) lifts, or the zero time
// when there is none.
func (s *Service) lockedUntil(ctx context.Context, kind, key string, limit int, now time.Time) (time.Time, error) {
	if key == "" || limit <= 0 {
		return time.Time{}, nil
	}
	since := now.Add(-s.Throttle.Window).Unix()
	var n, oldest int64
	err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(at), 0) FROM sign_in_failures WHERE kind = ? AND key = ? AND at > ?`,
		kind, key, since).Scan(&n, &oldest)
	if err != nil {
		return time.Time{}, fmt.Errorf("auth: sign-in throttle: %w", err)
	}
	if n < int64(limit) {
		return time.Time{}, nil
	}
	return time.Unix(oldest, 0).Add(s.Throttle.Window), nil
}

// checkThrottle refuses a sign-in for a locked username or address.
func (s *Service) checkThrottle(ctx context.Context, username, ip string) error {
	now := s.clock.Now()
	for _, k := range []struct {
		kind, key string
		limit     int
	}{{"user", strings.ToLower(username), s.Throttle.UserFailures}, {"ip", ip, s.Throttle.AddrFailures}} {
		until, err := s.lockedUntil(ctx, k.kind, k.key, k.limit, now)
		if err != nil {
			return err
		}
		if !until.IsZero() {
			return lockedErr(now, until)
		}
	}
	return nil
}

// recordFailure notes a failed sign-in of username from ip, and forgets
// failures older than a day.
func (s *Service) recordFailure(ctx context.Context, username, ip string) error {
	now := s.clock.Now()
	if _, err := s.db.Exec(ctx, `INSERT INTO sign_in_failures (kind, key, at) VALUES ('user', ?, ?)`, strings.ToLower(username), now.Unix()); err != nil {
		return fmt.Errorf("auth: record failed sign-in: %w", err)
	}
	if ip != "" {
		if _, err := s.db.Exec(ctx, `INSERT INTO sign_in_failures (kind, key, at) VALUES ('ip', ?, ?)`, ip, now.Unix()); err != nil {
			return fmt.Errorf("auth: record failed sign-in: %w", err)
		}
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM sign_in_failures WHERE at < ?`, now.Add(-failureRetention).Unix()); err != nil {
		return fmt.Errorf("auth: forget old failed sign-ins: %w", err)
	}
	return nil
}

// clearFailures forgets a username's failures after it signs in.
func (s *Service) clearFailures(ctx context.Context, username string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM sign_in_failures WHERE kind = 'user' AND key = ?`, strings.ToLower(username)); err != nil {
		return fmt.Errorf("auth: clear failed sign-ins: %w", err)
	}
	return nil
}
