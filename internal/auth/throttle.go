package auth

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// Throttle bounds password guessing without handing anyone a way to lock
// another person out:
//
//   - A username locks after UserFailures failed sign-ins within Window from
//     one address, for that address only: whoever guesses locks himself
//     out, and the owner signing in from anywhere else is not refused.
//   - An address locks after AddrFailures failures across usernames, so
//     spraying one password over many accounts is slowed too.
//   - A username guessed from many addresses (SlowFailures failures within
//     Window, all addresses together) is slowed, not locked: from an
//     address its user has not signed in from in the last 90 days, one
//     attempt per SlowDelay after the latest failure, the delay doubling
//     with every further SlowFailures failures, up to Window. From the
//     user's usual addresses sign-in is not slowed at all, so a botnet
//     cannot keep the owner out either.
//
// A lock lifts when its oldest failure in the window is older than Window.
// While locked or slowed, no password is checked at all, so a lock costs
// the guesser time, not the server, and a refused attempt is not counted.
// Failures are kept in the database, so a restart does not lift a lock and
// several servers share them. IPv6 addresses count by their /64, which one
// machine can roam freely.
type Throttle struct {
	Window       time.Duration
	UserFailures int
	AddrFailures int
	SlowFailures int
	SlowDelay    time.Duration
}

// DefaultThrottle locks a username after 5 failures in 15 minutes from one
// address, an address after 30, and slows a username after 20 from all
// addresses to one attempt per 10 seconds, then 20, 40… up to 15 minutes.
var DefaultThrottle = Throttle{Window: 15 * time.Minute, UserFailures: 5, AddrFailures: 30, SlowFailures: 20, SlowDelay: 10 * time.Second}

const (
	// failureRetention is how long failures are kept at all.
	failureRetention = 24 * time.Hour
	// usualRetention is how long an address a user signed in from counts
	// as one of theirs.
	usualRetention = 90 * 24 * time.Hour
)

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

// addrKey is the address failures are counted by: an IPv4 address as it
// is, an IPv6 one by its /64 (a host is given a whole /64 and can take any
// address in it, so counting single addresses would not bound it).
func addrKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() || a.Is4In6() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// failures counts the failures in the window matching the query's
// condition, and returns the oldest and latest of them.
func (s *Service) failures(ctx context.Context, now time.Time, cond string, args ...any) (n int, oldest, latest time.Time, err error) {
	var first, last int64
	err = s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(at), 0), COALESCE(MAX(at), 0) FROM sign_in_failures WHERE `+cond+` AND at > ?`,
		append(args, now.Add(-s.Throttle.Window).Unix())...).Scan(&n, &first, &last)
	if err != nil {
		return 0, time.Time{}, time.Time{}, fmt.Errorf("auth: sign-in throttle: %w", err)
	}
	return n, time.Unix(first, 0), time.Unix(last, 0), nil
}

// checkThrottle refuses a sign-in of username from ip ("" for a signed-in
// user's own settings) that is locked or slowed.
func (s *Service) checkThrottle(ctx context.Context, username, ip string) error {
	now, user, addr := s.clock.Now(), strings.ToLower(username), addrKey(ip)
	th := s.Throttle
	if th.UserFailures > 0 {
		n, oldest, _, err := s.failures(ctx, now, `kind = 'user' AND key = ? AND addr = ?`, user, addr)
		if err != nil {
			return err
		}
		if n >= th.UserFailures {
			return lockedErr(now, oldest.Add(th.Window))
		}
	}
	if addr != "" && th.AddrFailures > 0 {
		n, oldest, _, err := s.failures(ctx, now, `kind = 'ip' AND key = ?`, addr)
		if err != nil {
			return err
		}
		if n >= th.AddrFailures {
			return lockedErr(now, oldest.Add(th.Window))
		}
	}
	if addr == "" || th.SlowFailures <= 0 || th.SlowDelay <= 0 {
		return nil
	}
	n, _, latest, err := s.failures(ctx, now, `kind = 'user' AND key = ?`, user)
	if err != nil || n < th.SlowFailures {
		return err
	}
	var usual int
	err = s.db.QueryRow(ctx, `SELECT COUNT(*) FROM sign_in_addresses WHERE username = ? AND addr = ? AND at > ?`,
		user, addr, now.Add(-usualRetention).Unix()).Scan(&usual)
	if err != nil {
		return fmt.Errorf("auth: sign-in throttle: %w", err)
	}
	if usual > 0 {
		return nil
	}
	delay := th.Window
	if doublings := n/th.SlowFailures - 1; doublings < 30 {
		delay = min(delay, th.SlowDelay<<doublings)
	}
	if until := latest.Add(delay); now.Before(until) {
		return lockedErr(now, until)
	}
	return nil
}

// recordFailure notes a failed sign-in of username from ip, and forgets
// failures older than a day.
func (s *Service) recordFailure(ctx context.Context, username, ip string) error {
	now, addr := s.clock.Now(), addrKey(ip)
	if _, err := s.db.Exec(ctx, `INSERT INTO sign_in_failures (kind, key, addr, at) VALUES ('user', ?, ?, ?)`, strings.ToLower(username), addr, now.Unix()); err != nil {
		return fmt.Errorf("auth: record failed sign-in: %w", err)
	}
	if addr != "" {
		if _, err := s.db.Exec(ctx, `INSERT INTO sign_in_failures (kind, key, at) VALUES ('ip', ?, ?)`, addr, now.Unix()); err != nil {
			return fmt.Errorf("auth: record failed sign-in: %w", err)
		}
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM sign_in_failures WHERE at < ?`, now.Add(-failureRetention).Unix()); err != nil {
		return fmt.Errorf("auth: forget old failed sign-ins: %w", err)
	}
	return nil
}

// signedIn follows a completed sign-in of username from ip: it forgets the
// failures from that address (not those from elsewhere, or the owner's
// sign-in would lift the lock of whoever is guessing) and remembers the
// address as one of the user's usual ones.
func (s *Service) signedIn(ctx context.Context, username, ip string) error {
	now, user, addr := s.clock.Now(), strings.ToLower(username), addrKey(ip)
	if _, err := s.db.Exec(ctx, `DELETE FROM sign_in_failures WHERE kind = 'user' AND key = ? AND addr = ?`, user, addr); err != nil {
		return fmt.Errorf("auth: clear failed sign-ins: %w", err)
	}
	if addr == "" {
		return nil
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO sign_in_addresses (username, addr, at) VALUES (?, ?, ?)
ON CONFLICT (username, addr) DO UPDATE SET at = excluded.at`, user, addr, now.Unix()); err != nil {
		return fmt.Errorf("auth: remember sign-in address: %w", err)
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM sign_in_addresses WHERE at < ?`, now.Add(-usualRetention).Unix()); err != nil {
		return fmt.Errorf("auth: forget old sign-in addresses: %w", err)
	}
	return nil
}
