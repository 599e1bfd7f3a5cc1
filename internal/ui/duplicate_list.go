package ui

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/customer"
)

// canMerge reports whether a role may merge customers, undo merges and
// dismiss duplicate candidates: admins and service agents, who know the
// people behind the records.
func canMerge(r auth.Role) bool { return r == auth.RoleAdmin || r == auth.RoleAgent }

// CanMerge reports whether the user's role in this shop may merge customers.
func (v *view) CanMerge() bool { return canMerge(v.Role) }

// Score formats a duplicate candidate's score as a percentage.
func (v *view) Score(s float64) string { return customer.ScoreText(s) }

// duplicatesPage is a page of duplicate candidates.
type duplicatesPage struct {
	Page     customer.DupePage
	MinScore int    // percent
	From, To int    // 1-based positions of the first and last row shown
	Prev     string // URL of the previous page, "" on the first
	Next     string // URL of the next page, "" on the last
	Merged   int    // a bulk merge just merged this many pairs
	Failed   int    // and refused this many
	Notice   string // "dismissed"
}

// duplicateList lists the shop's duplicate candidates, best first, with
// the reasons for each; ?min= keeps those scoring at least that percent.
// Every member may look (contact data masked as on the customer list);
// merging, dismissing and ?refresh=1 (finding the candidates again now
// rather than using the cached ones) need canMerge.
func (u *UI) duplicateList(w http.ResponseWriter, r *http.Request, rq *request) {
	qs := r.URL.Query()
	page, _ := strconv.Atoi(qs.Get("page"))
	page = max(page, 1)
	minScore, _ := strconv.Atoi(qs.Get("min"))
	minScore = min(max(minScore, 0), 100)
	res, err := u.cfg.Customers.Duplicates(r.Context(), rq.shop.ID, customer.DupeFilter{
		MinScore: float64(minScore) / 100, Limit: pageSize, Offset: (page - 1) * pageSize, Fresh: qs.Get("refresh") == "1" && canMerge(rq.role)})
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &duplicatesPage{Page: res, MinScore: minScore, Notice: qs.Get("done")}
	p.Merged, _ = strconv.Atoi(qs.Get("merged"))
	p.Failed, _ = strconv.Atoi(qs.Get("failed"))
	if n := len(res.Candidates); n > 0 {
		p.From, p.To = res.Offset+1, res.Offset+n
	}
	keep := url.Values{}
	if minScore > 0 {
		keep.Set("min", strconv.Itoa(minScore))
	}
	link := func(page int) string { return pageLink(r.URL.Path, keep, page) }
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if res.Offset+len(res.Candidates) < res.Total {
		p.Next = link(page + 1)
	}
	u.render(w, r, rq, http.StatusOK, "duplicates", "", u.view(r, rq, "duplicates", p))
}
