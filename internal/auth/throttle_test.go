package auth_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// Five wrong passwords from one address lock the username there for the
// rest of the window, even against the right password; the lock lifts as
// failures age; a success clears the count; the lock survives a new
// Service (a restart). Other addresses: TestLockoutByOthers.
func TestThrottleUser(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
		svc := auth.NewService(db, c)
		if _, err := svc.CreateUser(ctx, "li", "", "correct horse"); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			c.t = c.t.Add(time.Minute)
			if _, err := svc.Authenticate(ctx, "li", fmt.Sprintf("guess %d", i), "10.0.0.1"); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		_, err := auth.NewService(db, c).Authenticate(ctx, "LI", "correct horse", "10.0.0.1")
		var locked *auth.Locked
		if guanxi.ErrorCode(err) != guanxi.ELIMIT || !errors.As(err, &locked) {
			t.Fatalf("after 5 failures: %v, want locked", err)
		}
		// The first failure was at 12:01: the lock lifts 15 minutes later.
		if want := time.Date(2025, 6, 1, 12, 16, 0, 0, time.UTC); !locked.Until.Equal(want) {
			t.Errorf("locked until %v, want %v", locked.Until, want)
		}
		c.t = time.Date(2025, 6, 1, 12, 16, 1, 0, time.UTC)
		if _, err := svc.Authenticate(ctx, "li", "correct horse", "10.0.0.1"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
		// The success cleared the count: four more failures do not lock.
		for range 4 {
			_, _ = svc.Authenticate(ctx, "li", "wrong", "10.0.0.1")
		}
		if _, err := svc.Authenticate(ctx, "li", "correct horse", "10.0.0.1"); err != nil {
			t.Fatalf("4 failures after a success: %v", err)
		}
	})
}

// Many usernames tried from one address lock the address, not the others.
func TestThrottleAddress(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
		svc := auth.NewService(db, c)
		svc.Throttle = auth.Throttle{Window: 10 * time.Minute, UserFailures: 5, AddrFailures: 8}
		if _, err := svc.CreateUser(ctx, "wang", "", "correct horse"); err != nil {
			t.Fatal(err)
		}
		for i := range 8 {
			if _, err := svc.Authenticate(ctx, fmt.Sprintf("user%d", i), "password1", "203.0.113.9"); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
				t.Fatalf("spray %d: %v", i, err)
			}
		}
		if _, err := svc.Authenticate(ctx, "wang", "correct horse", "203.0.113.9"); guanxi.ErrorCode(err) != guanxi.ELIMIT {
			t.Errorf("from the spraying address: %v, want ELIMIT", err)
		}
		if _, err := svc.Authenticate(ctx, "wang", "correct horse", "198.51.100.7"); err != nil {
			t.Errorf("from another address: %v", err)
		}
	})
}

// TestLockoutByOthers: wrong passwords from address A lock the username
// from A only. The guesser there is stopped (even the right password is
// refused, so guessing on cannot find it) while the owner signs in from
// their usual address B, and from a new one, all through the lock; the
// owner's sign-in does not lift A's lock. Guessing from many addresses at
// once slows the username from addresses its user never signed in from,
// and never from B. An IPv6 guesser counts by /64, however many addresses
// of it he takes.
func TestLockoutByOthers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
		svc := auth.NewService(db, c)
		if _, err := svc.CreateUser(ctx, "zhang", "", "correct horse"); err != nil {
			t.Fatal(err)
		}
		const a, b = "198.51.100.66", "203.0.113.20"
		if _, err := svc.Authenticate(ctx, "zhang", "correct horse", b); err != nil {
			t.Fatalf("owner's first sign-in from B: %v", err)
		}
		signIn := func(who, password, ip string) error {
			t.Helper()
			c.t = c.t.Add(time.Second)
			_, err := svc.Authenticate(ctx, who, password, ip)
			return err
		}
		for i := range svc.Throttle.UserFailures {
			if err := signIn("zhang", fmt.Sprintf("guess %d", i), a); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
				t.Fatalf("guess %d from A: %v", i, err)
			}
		}
		var locked *auth.Locked
		for i := range 50 {
			if err := signIn("zhang", fmt.Sprintf("more %d", i), a); guanxi.ErrorCode(err) != guanxi.ELIMIT || !errors.As(err, &locked) {
				t.Fatalf("guess %d from A after the lock: %v, want locked", i, err)
			}
		}
		if err := signIn("zhang", "correct horse", a); !errors.As(err, &locked) {
			t.Fatalf("right password from A while locked: %v, want locked", err)
		}
		if want := time.Date(2025, 6, 1, 12, 15, 1, 0, time.UTC); !locked.Until.Equal(want) {
			t.Errorf("A locked until %v, want %v", locked.Until, want)
		}
		if err := signIn("zhang", "correct horse", b); err != nil {
			t.Fatalf("owner from B while A is locked: %v", err)
		}
		if err := signIn("zhang", "correct horse", "192.0.2.7"); err != nil {
			t.Fatalf("owner from a new address while A is locked: %v", err)
		}
		if err := signIn("zhang", "correct horse", a); !errors.As(err, &locked) {
			t.Fatalf("the owner's sign-in lifted A's lock: %v", err)
		}

		// Many addresses, each staying under its own lock: 20 failures in
		// all slow the username from addresses zhang never used.
		for i := range svc.Throttle.SlowFailures - svc.Throttle.UserFailures {
			ip := fmt.Sprintf("10.1.0.%d", i/(svc.Throttle.UserFailures-1)+1)
			if err := signIn("zhang", fmt.Sprintf("spread %d", i), ip); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
				t.Fatalf("guess %d from %s: %v", i, ip, err)
			}
		}
		const fresh = "10.2.0.1"
		if err := signIn("zhang", "correct horse", fresh); guanxi.ErrorCode(err) != guanxi.ELIMIT || !errors.As(err, &locked) {
			t.Fatalf("right password from a fresh address while slowed: %v, want ELIMIT", err)
		}
		if wait := locked.Until.Sub(c.t); wait <= 0 || wait > svc.Throttle.SlowDelay {
			t.Errorf("slowed for %v, want at most %v", wait, svc.Throttle.SlowDelay)
		}
		if err := signIn("zhang", "correct horse", b); err != nil {
			t.Fatalf("owner from B while the username is slowed: %v", err)
		}
		c.t = locked.Until
		if err := signIn("zhang", "wrong", fresh); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("a fresh address after the delay: %v, want a password check", err)
		}
		if err := signIn("zhang", "correct horse", fresh); guanxi.ErrorCode(err) != guanxi.ELIMIT {
			t.Fatalf("right after that failure: %v, want ELIMIT", err)
		}
		if err := signIn("zhang", "correct horse", b); err != nil {
			t.Fatalf("owner from B: %v", err)
		}

		// IPv6: new addresses in one /64 are one address.
		if _, err := svc.CreateUser(ctx, "liu", "", "correct horse"); err != nil {
			t.Fatal(err)
		}
		for i := range svc.Throttle.UserFailures {
			if err := signIn("liu", "guess", fmt.Sprintf("2001:db8:5:6::%x", i+1)); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
				t.Fatalf("IPv6 guess %d: %v", i, err)
			}
		}
		if err := signIn("liu", "correct horse", "2001:db8:5:6:ffff::1"); guanxi.ErrorCode(err) != guanxi.ELIMIT {
			t.Fatalf("another address of the same /64: %v, want ELIMIT", err)
		}
		if err := signIn("liu", "correct horse", "2001:db8:5:7::1"); err != nil {
			t.Fatalf("another /64: %v", err)
		}
	})
}
