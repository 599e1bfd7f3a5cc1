package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

func TestTeamsAndMembers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		c := &clock{time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
		svc := auth.NewService(db, c)
		admin, _ := svc.CreateUser(context.Background(), "boss", "", "correct horse")
		agent, _ := svc.CreateUser(context.Background(), "li", "", "correct horse")
		ctx := audit.WithActor(context.Background(), audit.Actor{UserID: admin.ID, Name: "user:boss", IP: "10.0.0.1"})
		a, b := &shop.Shop{Code: "a"}, &shop.Shop{Code: "b"}
		for _, sh := range []*shop.Shop{a, b} {
			if err := shop.NewService(db, c).Create(ctx, sh); err != nil {
				t.Fatal(err)
			}
		}
		_ = svc.Grant(ctx, admin.ID, a.ID, auth.RoleAdmin)
		_ = svc.Grant(ctx, agent.ID, a.ID, auth.RoleAgent)

		// The last admin cannot be demoted or removed.
		if err := svc.SetRole(ctx, a.ID, admin.ID, auth.RoleAnalyst); guanxi.ErrorCode(err) != guanxi.ECONFLICT {
			t.Fatalf("demote the last admin: %v", err)
		}
		if err := svc.RemoveMember(ctx, a.ID, admin.ID); guanxi.ErrorCode(err) != guanxi.ECONFLICT {
			t.Fatalf("remove the last admin: %v", err)
		}
		if err := svc.SetRole(ctx, a.ID, agent.ID, auth.RoleCare); err != nil {
			t.Fatal(err)
		}
		team, err := svc.CreateTeam(ctx, a.ID, " 售后组 ")
		if err != nil || team.Name != "售后组" {
			t.Fatalf("team %+v %v", team, err)
		}
		if _, err := svc.CreateTeam(ctx, a.ID, "售后组"); guanxi.ErrorCode(err) != guanxi.ECONFLICT {
			t.Fatalf("duplicate team: %v", err)
		}
		if err := svc.SetTeamMember(ctx, a.ID, team.ID, agent.ID, true); err != nil {
			t.Fatal(err)
		}
		// Shop b's admin cannot reach shop a's team, nor put a non-member in it.
		if err := svc.SetTeamMember(ctx, b.ID, team.ID, agent.ID, true); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			t.Fatalf("team of another shop: %v", err)
		}
		other, _ := svc.CreateUser(ctx, "zhao", "", "correct horse")
		if err := svc.SetTeamMember(ctx, a.ID, team.ID, other.ID, true); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			t.Fatalf("non-member into a team: %v", err)
		}
		ms, err := svc.Members(ctx, a.ID)
		if err != nil || len(ms) != 2 || ms[1].User.Username != "li" || ms[1].Role != auth.RoleCare || len(ms[1].Teams) != 1 {
			t.Fatalf("members %+v %v", ms, err)
		}
		ts, _ := svc.Teams(ctx, a.ID)
		if len(ts) != 1 || ts[0].Members != 1 {
			t.Fatalf("teams %+v", ts)
		}
		if err := svc.RemoveMember(ctx, a.ID, agent.ID); err != nil {
			t.Fatal(err)
		}
		if ts, _ := svc.Teams(ctx, a.ID); ts[0].Members != 0 {
			t.Fatalf("removed member still in team: %+v", ts)
		}
		// Every change is in the audit log, under the admin, newest first.
		log, err := audit.NewService(db, c).List(ctx, a.ID, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range log {
			if e.UserID != admin.ID || e.Actor != "user:boss" || e.IP != "10.0.0.1" {
				t.Errorf("entry %+v: wrong actor", e)
			}
			actions = append(actions, e.Action)
		}
		want := []string{"member.remove", "team.add", "team.create", "member.role"}
		if len(actions) != len(want) {
			t.Fatalf("audit %v, want %v", actions, want)
		}
		for i := range want {
			if actions[i] != want[i] {
				t.Fatalf("audit %v, want %v", actions, want)
			}
		}
		if got, _ := audit.NewService(db, c).List(ctx, b.ID, audit.Filter{}); len(got) != 0 {
			t.Fatalf("shop b's log has shop a's entries: %+v", got)
		}
	})
}
