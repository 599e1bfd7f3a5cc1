package ui

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/report"
)

// pageSize is how many customers a list page shows.
const pageSize = 50

// customerListPage is a page of the customer list.
type customerListPage struct {
	Query    string
	Filters  map[string]string // facet name → chosen value
	Facets   []facet
	Page     customer.Page
	From, To int    // 1-based positions of the first and last row shown
	Prev     string // URL of the previous page, "" on the first
	Next     string // URL of the next page, "" on the last
}

// customerList shows the shop's customers, searched by ?q= (a name prefix,
// phone, nick, e-mail or id), most recent buyers first. An htmx request from
// the search box gets only the results table.
func (u *UI) customerList(w http.ResponseWriter, r *http.Request, rq *request) {
	qs := r.URL.Query()
	q := strings.TrimSpace(qs.Get("q"))
	if len([]rune(q)) > 100 {
		q = string([]rune(q)[:100])
	}
	page, _ := strconv.Atoi(qs.Get("page"))
	page = max(page, 1)
	f := customer.Filter{Query: q, Limit: pageSize, Offset: (page - 1) * pageSize}
	chosen := map[string]string{}
	for _, k := range []struct {
		name string
		into **string
	}{{"segment", &f.Segment}, {"lifecycle", &f.Lifecycle}, {"tier", &f.Tier}, {"province", &f.Province}, {"channel", &f.Channel}, {"tag", &f.Tag}} {
		if v := strings.TrimSpace(qs.Get(k.name)); v != "" {
			*k.into, chosen[k.name] = &v, v
		}
	}
	res, err := u.cfg.Customers.Search(r.Context(), rq.shop.ID, f)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &customerListPage{Query: q, Page: res, Filters: chosen}
	if !isFragment(r, "results") {
		fs, err := u.cfg.Customers.Facets(r.Context(), rq.shop.ID)
		if err != nil {
			u.fail(w, r, rq, err)
			return
		}
		if u.cfg.Reports != nil {
			// Customers by channel, from the dashboards' facts in memory.
			cube, err := u.cfg.Reports.Cube(r.Context(), rq.shop.ID, report.CubeQuery{By: []string{"channel"}})
			if err != nil {
				u.fail(w, r, rq, err)
				return
			}
			fs.Channel = channelFacet(cube)
		}
		p.Facets = facetsOf(fs, chosen)
		if q == "" && len(chosen) == 0 {
			// The whole list: its exact size is known from the counts.
			p.Page.Total, p.Page.Capped = fs.Customers, false
		}
	}
	if n := len(res.Customers); n > 0 {
		p.From, p.To = res.Offset+1, res.Offset+n
	}
	keep := url.Values{}
	if q != "" {
		keep.Set("q", q)
	}
	for k, val := range chosen {
		keep.Set(k, val)
	}
	link := func(page int) string { return pageLink(r.URL.Path, keep, page) }
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if res.Offset+len(res.Customers) < p.Page.Total || p.Page.Capped && len(res.Customers) == res.Limit {
		p.Next = link(page + 1)
	}
	block := ""
	if isFragment(r, "results") {
		block = "results"
	}
	u.render(w, r, rq, http.StatusOK, "customer_list", block, u.view(r, rq, "customers", p))
}

// isFragment reports whether r is an htmx request that swaps the element
// with the id target (and not a history restore, which wants the page).
func isFragment(r *http.Request, target string) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true" &&
		r.Header.Get("HX-Target") == target
}

// facet is one filter of the customer list: its values with counts.
type facet struct {
	Name   string // segment, lifecycle, tier, province, channel, tag
	Label  string // catalog prefix of its values' labels ("" shows them as they are)
	Values []customer.FacetValue
	Chosen string
}

func facetsOf(fs *customer.Facets, chosen map[string]string) []facet {
	out := []facet{
		{Name: "segment", Label: "segment.", Values: fs.Segment},
		{Name: "lifecycle", Label: "lifecycle.", Values: fs.Lifecycle},
		{Name: "tier", Label: "tier.", Values: fs.Tier},
		{Name: "province", Values: fs.Province},
		{Name: "channel", Label: "channel.", Values: fs.Channel},
		{Name: "tag", Values: fs.Tag},
	}
	for i := range out {
		out[i].Chosen = chosen[out[i].Name]
	}
	return out
}

// channelFacet lists the channels of the cube's rows with their customers.
func channelFacet(c *report.Cube) []customer.FacetValue {
	var out []customer.FacetValue
	for _, r := range c.Rows {
		if ch := r.Keys[0]; ch != "" {
			out = append(out, customer.FacetValue{Value: ch, Count: int(r.Customers)})
		}
	}
	slices.SortFunc(out, func(a, b customer.FacetValue) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	return out
}
