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

// TestThrottleSecondFactor: wrong codes lock the username; while locked
// the right code is refused too (and not spent), and once the lock lifts
// it works. Turning the factor off, which checks the password and a code
// for a signed-in user, counts its failures the same way, so a stolen
// session is no way to guess the password or codes without limit.
func TestThrottleSecondFactor(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
		svc := auth.NewService(db, c)
		u, err := svc.CreateUser(ctx, "zhao", "", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		en, err := svc.NewEnrolment("zhao")
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.EnableTOTP(ctx, u.ID, en.Secret, code(t, en.Secret, c.t)); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(time.Minute)
		pending, err := svc.NewPendingSession(ctx, u.ID, "test", "10.0.0.5")
		if err != nil {
			t.Fatal(err)
		}
		for i := range svc.Throttle.UserFailures {
			if _, err := svc.CompleteTOTP(ctx, pending, fmt.Sprintf("%06d", i), "test", "10.0.0.5"); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		var locked *auth.Locked
		if _, err := svc.CompleteTOTP(ctx, pending, code(t, en.Secret, c.t), "test", "10.0.0.5"); !errors.As(err, &locked) {
			t.Fatalf("right code while locked: %v, want locked", err)
		}
		// The lock lifts with the window; the code refused while locked was
		// not spent.
		c.t = locked.Until.Add(time.Second)
		pending, err = svc.NewPendingSession(ctx, u.ID, "test", "10.0.0.5")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CompleteTOTP(ctx, pending, code(t, en.Secret, c.t), "test", "10.0.0.5"); err != nil {
			t.Fatalf("right code after the lock: %v", err)
		}

		// Turning the factor off: wrong passwords count and lock.
		c.t = c.t.Add(time.Minute)
		for i := range svc.Throttle.UserFailures {
			if err := svc.DisableTOTP(ctx, u.ID, fmt.Sprintf("guess %d", i), code(t, en.Secret, c.t)); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
				t.Fatalf("disable with a wrong password %d: %v", i, err)
			}
		}
		if err := svc.DisableTOTP(ctx, u.ID, "correct horse", code(t, en.Secret, c.t)); !errors.As(err, &locked) {
			t.Fatalf("disable with the right password while locked: %v, want locked", err)
		}
		if got, err := svc.ByUsername(ctx, "zhao"); err != nil || !got.TOTP {
			t.Fatalf("the factor was turned off while locked: %+v %v", got, err)
		}
		// And wrong codes with the right password count too.
		c.t = locked.Until.Add(time.Second)
		for i := range svc.Throttle.UserFailures {
			if err := svc.DisableTOTP(ctx, u.ID, "correct horse", fmt.Sprintf("%06d", i)); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
				t.Fatalf("disable with a wrong code %d: %v", i, err)
			}
		}
		if err := svc.DisableTOTP(ctx, u.ID, "correct horse", code(t, en.Secret, c.t)); !errors.As(err, &locked) {
			t.Fatalf("disable with the right code while locked: %v, want locked", err)
		}
		c.t = locked.Until.Add(time.Second)
		if err := svc.DisableTOTP(ctx, u.ID, "correct horse", code(t, en.Secret, c.t)); err != nil {
			t.Fatalf("disable after the lock: %v", err)
		}
	})
}
