package ui

import (
	"context"
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/care"
)

// CareJobs runs a care rule now and queues the dispatch of the messages
// it queued (the app does it: the pages only ask).
type CareJobs interface {
	RunCareRule(ctx context.Context, shopID, ruleID int64) (*care.Run, error)
}

// canWriteCare: admins and care staff (客户维护部, DESIGN.md) make, change
// and run care rules; agents and analysts read them, as with campaigns.
func canWriteCare(r auth.Role) bool { return r == auth.RoleAdmin || r == auth.RoleCare }

func (u *UI) careRules() (*care.Service, error) {
	if u.cfg.Care == nil || u.cfg.CareJobs == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "care rules are not available")
	}
	return u.cfg.Care, nil
}

// careRuleOf reads the rule named by the path, in the request's shop.
func careRuleOf(r *http.Request, rq *request, svc *care.Service) (*care.Rule, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "no care rule %q", r.PathValue("id"))
	}
	return svc.Get(r.Context(), rq.shop.ID, id)
}

type careRow struct {
	care.Rule
	LastRun *care.Run
	Acted   int // occurrences acted on, all runs
}

type careListPage struct {
	Rules    []careRow
	CanWrite bool
}

// careList lists the shop's care rules with each one's last run and how
// many customers it has cared for.
func (u *UI) careList(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.careRules()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ctx := r.Context()
	rules, err := svc.List(ctx, rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	last, err := svc.LastRuns(ctx, rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	effects, err := svc.Effects(ctx, rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &careListPage{CanWrite: canWriteCare(rq.role)}
	for _, rule := range rules {
		row := careRow{Rule: rule, Acted: effects[rule.ID]}
		if run, ok := last[rule.ID]; ok {
			row.LastRun = &run
		}
		p.Rules = append(p.Rules, row)
	}
	u.render(w, r, rq, http.StatusOK, "care_list", "", u.view(r, rq, "care", p))
}
