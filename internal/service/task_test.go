package service_test

import (
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

func TestTasks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tk := f.complaint(t, service.Normal)
		due := t0.Add(48 * time.Hour)
		k := &service.Task{Kind: service.TaskFollowUp, Title: "回访：茶叶受潮", CustomerID: f.c1, TicketID: tk.ID, AssigneeID: f.agent, DueAt: due}
		opened, err := f.svc.OpenTask(f.asLead, f.shopID, k)
		must(t, err)
		if !opened || k.ID == 0 || k.Status != service.TaskOpen || k.Source != "user:zhang" || k.CreatedBy != f.lead || !k.DueAt.Equal(due) {
			t.Fatalf("opened %v %+v", opened, k)
		}

		// A job's second run with the same key opens nothing.
		j1 := &service.Task{Kind: service.TaskDetractor, Title: "NPS 2 分", CustomerID: f.c2, DueAt: due, Source: "survey:7", SourceKey: "survey:7:response:1"}
		opened, err = f.svc.OpenTask(bg, f.shopID, j1)
		must(t, err)
		j2 := &service.Task{Kind: service.TaskDetractor, Title: "NPS 2 分", CustomerID: f.c2, DueAt: due, Source: "survey:7", SourceKey: "survey:7:response:1"}
		again, err := f.svc.OpenTask(bg, f.shopID, j2)
		must(t, err)
		if !opened || again || j2.ID != j1.ID {
			t.Fatalf("same key: opened %v then %v, ids %d and %d", opened, again, j1.ID, j2.ID)
		}

		for _, bad := range []service.Task{
			{Kind: "chat", Title: "x", CustomerID: f.c1, DueAt: due},
			{Kind: service.TaskCare, Title: " ", CustomerID: f.c1, DueAt: due},
			{Kind: service.TaskCare, Title: "x", CustomerID: 999999, DueAt: due},
			{Kind: service.TaskCare, Title: "x", CustomerID: f.c1},
			{Kind: service.TaskCare, Title: "x", CustomerID: f.c1, DueAt: due, AssigneeID: f.outsider},
			{Kind: service.TaskCare, Title: "x", CustomerID: f.c1, DueAt: due, TicketID: 999999},
		} {
			_, err := f.svc.OpenTask(bg, f.shopID, &bad)
			wantCode(t, err, guanxi.EINVALID)
		}

		f.clock.Set(t0.Add(72 * time.Hour))
		overdue, err := f.svc.Tasks(bg, f.shopID, service.TaskFilter{DueBefore: f.clock.Now()})
		must(t, err)
		if len(overdue) != 2 || !overdue[0].Overdue(f.clock.Now()) {
			t.Fatalf("overdue %+v", overdue)
		}
		mine, err := f.svc.Tasks(bg, f.shopID, service.TaskFilter{Status: service.TaskOpen, AssigneeID: f.agent})
		must(t, err)
		if len(mine) != 1 || mine[0].ID != k.ID {
			t.Fatalf("mine %+v", mine)
		}

		_, err = f.svc.FinishTask(f.asAgent, f.shopID, k.ID, k.Version, service.TaskDone, " ")
		wantCode(t, err, guanxi.EINVALID) // an outcome is required
		_, err = f.svc.FinishTask(f.asAgent, f.shopID, k.ID, k.Version+1, service.TaskDone, "客户满意")
		wantCode(t, err, guanxi.ECONFLICT)
		done, err := f.svc.FinishTask(f.asAgent, f.shopID, k.ID, k.Version, service.TaskDone, "客户满意，已补发")
		must(t, err)
		if done.Status != service.TaskDone || done.DoneBy != f.agent || !done.DoneAt.Equal(f.clock.Now()) || done.Version != 2 {
			t.Fatalf("done %+v", done)
		}
		got, err := f.svc.Task(bg, f.shopID, k.ID)
		must(t, err)
		if *got != *done {
			t.Fatalf("read back %+v, want %+v", got, done)
		}
		_, err = f.svc.FinishTask(f.asAgent, f.shopID, k.ID, done.Version, service.TaskCancelled, "")
		wantCode(t, err, guanxi.EINVALID) // no longer open

		moved, err := f.svc.AssignTask(f.asLead, f.shopID, j1.ID, j1.Version, f.agent, f.team)
		must(t, err)
		if moved.AssigneeID != f.agent || moved.TeamID != f.team || moved.Version != 2 {
			t.Fatalf("assigned %+v", moved)
		}
		_, err = f.svc.Task(bg, f.shopID, 424242)
		wantCode(t, err, guanxi.ENOTFOUND)
	})
}
