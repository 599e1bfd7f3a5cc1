package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTOTP(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
		svc := auth.NewService(db, c)
		u, err := svc.CreateUser(ctx, "wang", "", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		en, err := svc.NewEnrolment("wang")
		if err != nil || len(en.Secret) < 16 || en.QR[:22] != "data:image/png;base64," {
			t.Fatalf("enrolment %+v %v", en, err)
		}
		// A wrong code does not put the secret in force.
		if err := svc.EnableTOTP(ctx, u.ID, en.Secret, "000000"); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("wrong enrolment code: %v", err)
		}
		if got, _ := svc.Authenticate(ctx, "wang", "correct horse", ""); got.TOTP {
			t.Fatal("TOTP on before it was confirmed")
		}
		if err := svc.EnableTOTP(ctx, u.ID, en.Secret, code(t, en.Secret, c.t)); err != nil {
			t.Fatal(err)
		}
		got, err := svc.Authenticate(ctx, "wang", "correct horse", "")
		if err != nil || !got.TOTP {
			t.Fatalf("after enabling: %+v %v", got, err)
		}

		// The pending session opens nothing but the second step.
		c.t = c.t.Add(time.Minute)
		pending, err := svc.NewPendingSession(ctx, u.ID, "test", "10.0.0.9")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SessionByToken(ctx, pending); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("pending session used as a full one: %v", err)
		}
		// A code from long ago, and the enrolment's code again, are refused.
		if _, err := svc.CompleteTOTP(ctx, pending, code(t, en.Secret, c.t.Add(-10*time.Minute)), "test", "10.0.0.9"); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("old code: %v", err)
		}
		full, err := svc.CompleteTOTP(ctx, pending, code(t, en.Secret, c.t), "test", "10.0.0.9")
		if err != nil {
			t.Fatal(err)
		}
		if full == pending {
			t.Fatal("the session token did not change at the second factor")
		}
		if _, err := svc.SessionByToken(ctx, full); err != nil {
			t.Fatalf("full session: %v", err)
		}
		if _, err := svc.PendingSession(ctx, pending); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("pending token still alive: %v", err)
		}
		// The same code cannot be used twice, even in another sign-in.
		again, _ := svc.NewPendingSession(ctx, u.ID, "test", "10.0.0.9")
		if _, err := svc.CompleteTOTP(ctx, again, code(t, en.Secret, c.t), "test", "10.0.0.9"); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("replayed code: %v", err)
		}
		// Guessing codes locks the username, and a correct password does not
		// reset the count.
		var locked *auth.Locked
		for i := 0; ; i++ {
			if _, err := svc.Authenticate(ctx, "wang", "correct horse", "10.0.0.9"); errors.As(err, &locked) {
				break
			}
			p, err := svc.NewPendingSession(ctx, u.ID, "test", "10.0.0.9")
			if err != nil {
				t.Fatal(err)
			}
			if _, err = svc.CompleteTOTP(ctx, p, "123456", "test", "10.0.0.9"); errors.As(err, &locked) {
				break
			}
			if i > 6 {
				t.Fatal("wrong codes never locked the account")
			}
		}
		// A pending session lapses after 5 minutes.
		c.t = c.t.Add(time.Hour)
		late, _ := svc.NewPendingSession(ctx, u.ID, "test", "10.0.0.9")
		c.t = c.t.Add(6 * time.Minute)
		if _, err := svc.CompleteTOTP(ctx, late, code(t, en.Secret, c.t), "test", "10.0.0.9"); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("lapsed pending session: %v", err)
		}
		// Disabling needs the password and a fresh code.
		c.t = c.t.Add(time.Minute)
		if err := svc.DisableTOTP(ctx, u.ID, "wrong password", code(t, en.Secret, c.t)); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("disable with a wrong password: %v", err)
		}
		if err := svc.DisableTOTP(ctx, u.ID, "correct horse", code(t, en.Secret, c.t)); err != nil {
			t.Fatal(err)
		}
		if got, _ := svc.ByUsername(ctx, "wang"); got.TOTP {
			t.Fatal("TOTP still on after disabling")
		}
	})
}
