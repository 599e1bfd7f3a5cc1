package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func TestUsersAndSessions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
		svc := auth.NewService(db, c)
		if _, err := svc.CreateUser(ctx, "admin", "", "short"); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Fatalf("short password: %v", err)
		}
		u, err := svc.CreateUser(ctx, "admin", "管理员", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateUser(ctx, "admin", "", "another password"); guanxi.ErrorCode(err) != guanxi.ECONFLICT {
			t.Fatalf("duplicate user: %v", err)
		}
		if _, err := svc.Authenticate(ctx, "admin", "wrong password", ""); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := svc.Authenticate(ctx, "nobody", "correct horse", ""); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("unknown user: %v", err)
		}
		got, err := svc.Authenticate(ctx, "admin", "correct horse", "")
		if err != nil || got.ID != u.ID || got.DisplayName != "管理员" {
			t.Fatalf("sign in: %+v %v", got, err)
		}
		sh := &shop.Shop{Code: "a"}
		if err := shop.NewService(db, c).Create(ctx, sh); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RoleIn(ctx, u.ID, sh.ID); guanxi.ErrorCode(err) != guanxi.EFORBIDDEN {
			t.Fatalf("role before grant: %v", err)
		}
		if err := svc.Grant(ctx, u.ID, sh.ID, auth.RoleAnalyst); err != nil {
			t.Fatal(err)
		}
		if err := svc.Grant(ctx, u.ID, sh.ID, auth.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if r, err := svc.RoleIn(ctx, u.ID, sh.ID); r != auth.RoleAdmin || err != nil {
			t.Fatalf("role %s %v", r, err)
		}
		tok, err := svc.NewSession(ctx, u.ID, "test", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		sess, err := svc.SessionByToken(ctx, tok)
		if err != nil || sess.User.ID != u.ID || sess.CSRFToken == "" {
			t.Fatalf("session %+v %v", sess, err)
		}
		if _, err := svc.SessionByToken(ctx, tok+"x"); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("forged token: %v", err)
		}
		c.t = c.t.Add(13 * time.Hour)
		if _, err := svc.SessionByToken(ctx, tok); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("expired session: %v", err)
		}
		// A new password signs every session out.
		tok, _ = svc.NewSession(ctx, u.ID, "test", "127.0.0.1")
		if err := svc.SetPassword(ctx, "admin", "battery staple"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SessionByToken(ctx, tok); guanxi.ErrorCode(err) != guanxi.EUNAUTH {
			t.Fatalf("session after password change: %v", err)
		}
		if _, err := svc.Authenticate(ctx, "admin", "battery staple", ""); err != nil {
			t.Fatal(err)
		}
	})
}
