package api

import (
	"net/http"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/scorecard"
)

// The scorecard (issue 6 §6): the service team's KPIs over a period and the
// CRM's effectiveness month by month, with the reports:read scope. A token
// is the shop's, not a person's: it sees every agent's row.

// scorecardCard reads ?from=&to= (YYYY-MM-DD, both days included; the
// month to date by default) in the shop's zone and computes the card.
func (a *API) scorecardCard(r *http.Request, t *auth.Token) (*scorecard.Card, error) {
	if a.cfg.Scorecard == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "the scorecard is not available")
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	sh, err := a.tokenShop(ctx, t)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	p, err := scorecard.ParsePeriod(q.Get("from"), q.Get("to"), sh.Location(), a.cfg.Clock.Now())
	if err != nil {
		return nil, err
	}
	return a.cfg.Scorecard.Card(ctx, sh, p)
}

// scorecardAgents: GET /scorecard/agents[?from=&to=].
func (a *API) scorecardAgents(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	c, err := a.scorecardCard(r, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": c.From, "to": c.To, "agents": c.Agents})
	return nil
}

// scorecardTeams: GET /scorecard/teams[?from=&to=].
func (a *API) scorecardTeams(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	c, err := a.scorecardCard(r, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": c.From, "to": c.To, "orders": c.Orders, "teams": c.Teams, "shop": c.Shop})
	return nil
}

// scorecardEffectiveness: GET /scorecard/effectiveness[?month=YYYY-MM],
// the twelve months ending with month (this month by default).
func (a *API) scorecardEffectiveness(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	if a.cfg.Scorecard == nil {
		return guanxi.Errorf(guanxi.ENOTFOUND, "the scorecard is not available")
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	sh, err := a.tokenShop(ctx, t)
	if err != nil {
		return err
	}
	last, err := scorecard.ParseMonth(r.URL.Query().Get("month"), sh.Location(), a.cfg.Clock.Now())
	if err != nil {
		return err
	}
	e, err := a.cfg.Scorecard.Effectiveness(ctx, sh, last)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}
