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

// Five wrong passwords lock the username for the rest of the window, even
// against the right password; the lock lifts as failures age; a success
// clears the count; the lock survives a new Service (a restart).
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
		_, err := auth.NewService(db, c).Authenticate(ctx, "LI", "correct horse", "10.0.0.2")
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
