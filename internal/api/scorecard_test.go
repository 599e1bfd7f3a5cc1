package api_test

import (
	"testing"

	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestScorecard reads the three scorecard endpoints of a demo shop with a
// reports:read token: the figures' shape, June's period and twelve months,
// and a bad date refused naming its parameter.
func TestScorecard(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, api.Config{})
		tok := e.token(t, e.shopA, "reports:read")
		var teams struct {
			From, To string
			Orders   int
			Shop     struct{ Backlog int }
		}
		if st, _, b := e.get(t, tok, "/scorecard/teams?from=2025-06-01&to=2025-06-30", &teams); st != 200 || teams.From != "2025-06-01" || teams.To != "2025-06-30" || teams.Orders == 0 {
			t.Errorf("teams: %d %+v %.300s", st, teams, b)
		}
		var agents struct{ Agents []struct{ UserID int64 } }
		if st, _, b := e.get(t, tok, "/scorecard/agents", &agents); st != 200 || agents.Agents == nil {
			t.Errorf("agents: %d %.300s", st, b)
		}
		var eff struct {
			Months []struct {
				Month  string
				Buyers int
				Change map[string]*struct{ Abs float64 }
			}
			Cohorts []struct{ Cohort string }
		}
		if st, _, b := e.get(t, tok, "/scorecard/effectiveness?month=2025-06", &eff); st != 200 || len(eff.Months) != 12 || eff.Months[11].Month != "2025-06" ||
			eff.Months[11].Buyers == 0 || len(eff.Cohorts) == 0 || eff.Months[11].Change["buyers"] == nil {
			t.Errorf("effectiveness: %d %.300s", st, b)
		}
		for _, bad := range []string{"/scorecard/agents?from=2025-6-1", "/scorecard/teams?to=x", "/scorecard/effectiveness?month=June"} {
			if st, _, b := e.get(t, tok, bad, nil); st != 400 || errorCode(t, b) != "invalid" {
				t.Errorf("%s: %d %s", bad, st, b)
			}
		}
	})
}
