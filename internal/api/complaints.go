package api

import (
	"net/http"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
)

// complaintAnalyticsJSON is seed 002 §7.3's reading of a period's
// complaints (service.ComplaintAnalytics).
type complaintAnalyticsJSON struct {
	From       string         `json:"from"` // YYYY-MM-DD, in the shop's zone
	To         string         `json:"to"`   // exclusive
	Complaints int            `json:"complaints"`
	Orders     int            `json:"orders"`
	Rate       float64        `json:"rate_per_1000_orders"`
	Months     []monthJSON    `json:"months"`
	Causes     []causeJSON    `json:"causes"` // most frequent first: the Pareto
	Unassessed int            `json:"unassessed"`
	Steps      []stepJSON     `json:"steps"`
	Repeat     []repeaterJSON `json:"repeat_complainers"`
}

type monthJSON struct {
	Month      string  `json:"month"`
	Complaints int     `json:"complaints"`
	Orders     int     `json:"orders"`
	Rate       float64 `json:"rate_per_1000_orders"`
}

type causeJSON struct {
	Cause      string  `json:"cause"`
	Count      int     `json:"count"`
	Share      float64 `json:"share"`
	Cumulative float64 `json:"cumulative"`
}

type stepJSON struct {
	From  string  `json:"from"`
	To    string  `json:"to"`
	Count int     `json:"count"`
	P50   float64 `json:"p50_hours"`
	P90   float64 `json:"p90_hours"`
}

type repeaterJSON struct {
	CustomerID int64  `json:"customer_id"`
	Name       string `json:"name"`
	Complaints int    `json:"complaints"`
}

// complaintAnalytics: GET /complaints/analytics?from=YYYY-MM-DD&to=YYYY-MM-DD
// (dates in the shop's zone, to exclusive; by default the twelve months to
// the start of next month).
func (a *API) complaintAnalytics(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	sh, err := a.cfg.Shops.ByID(ctx, t.ShopID)
	if err != nil {
		return err
	}
	loc := sh.Location()
	now := a.cfg.Clock.Now().In(loc)
	to := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, loc)
	from := to.AddDate(-1, 0, 0)
	for name, dst := range map[string]*time.Time{"from": &from, "to": &to} {
		if s := r.URL.Query().Get(name); s != "" {
			d, err := time.ParseInLocation(time.DateOnly, s, loc)
			if err != nil {
				return guanxi.Errorf(guanxi.EINVALID, "%s %q: expected a date, e.g. 2025-06-01", name, s)
			}
			*dst = d
		}
	}
	an, err := svc.Analytics(ctx, t.ShopID, from, to)
	if err != nil {
		return err
	}
	out := complaintAnalyticsJSON{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Complaints: an.Complaints,
		Orders: an.Orders, Rate: an.Rate, Unassessed: an.Unassessed, Months: []monthJSON{}, Causes: []causeJSON{},
		Steps: []stepJSON{}, Repeat: []repeaterJSON{}}
	for _, m := range an.Months {
		out.Months = append(out.Months, monthJSON{m.Month, m.Complaints, m.Orders, m.Rate})
	}
	for _, c := range an.Causes {
		out.Causes = append(out.Causes, causeJSON{c.Cause, c.Count, c.Share, c.Cumulative})
	}
	for _, s := range an.Steps {
		out.Steps = append(out.Steps, stepJSON{s.From, s.To, s.Count, s.P50, s.P90})
	}
	for _, rc := range an.Repeat {
		out.Repeat = append(out.Repeat, repeaterJSON{rc.CustomerID, rc.Name, rc.Complaints})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
