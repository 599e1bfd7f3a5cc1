package api

import (
	"net/http"

	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/score"
)

// The lifecycle stages and value tiers a score run assigns, for checking
// the filters of GET /customers.
var (
	lifecycles = []string{"new", "active", "dormant", "churned", "loyal"}
	tiers      = []string{"key", "ordinary", "small"}
)

type countJSON struct {
	Value     string `json:"value"`
	Customers int    `json:"customers"`
}

type segmentsJSON struct {
	AsOf       *string     `json:"as_of"` // null before the first score run
	Segments   []countJSON `json:"segments"`
	SegmentsCN []countJSON `json:"segments_cn"`
	Lifecycle  []countJSON `json:"lifecycle"`
	Tiers      []countJSON `json:"tiers"`
}

func countsOf(cs []score.Count) []countJSON {
	out := make([]countJSON, len(cs))
	for i, c := range cs {
		out[i] = countJSON{Value: c.Value, Customers: c.Customers}
	}
	return out
}

// listSegments: GET /segments, how the shop's customers fall into RFM
// segments, lifecycle stages and value tiers by the latest score run. Each
// value filters GET /customers (segment=, lifecycle=, tier=).
func (a *API) listSegments(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	ctx, cancel := withTimeout(r)
	defer cancel()
	s, err := a.cfg.Scores.SegmentCounts(ctx, t.ShopID)
	if err != nil {
		return err
	}
	out := segmentsJSON{Segments: countsOf(s.Segments), SegmentsCN: countsOf(s.SegmentCN), Lifecycle: countsOf(s.Lifecycle), Tiers: countsOf(s.Tiers)}
	if s.AsOf != "" {
		out.AsOf = &s.AsOf
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
