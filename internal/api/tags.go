package api

import (
	"net/http"

	"github.com/guanxi-crm/guanxi/internal/auth"
)

type tagJSON struct {
	Tag       string `json:"tag"`
	Customers int    `json:"customers"`
}

// listTags: GET /tags, the shop's tags with how many live customers carry
// each, most used first.
func (a *API) listTags(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	ctx, cancel := withTimeout(r)
	defer cancel()
	tc, err := a.cfg.Customers.TagCounts(ctx, t.ShopID)
	if err != nil {
		return err
	}
	out := make([]tagJSON, len(tc))
	for i, c := range tc {
		out[i] = tagJSON{Tag: c.Tag, Customers: c.Customers}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": out})
	return nil
}
