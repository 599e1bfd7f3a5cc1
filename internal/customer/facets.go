package customer

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// FacetValue is one value of a filter and how many live customers have it.
type FacetValue struct {
	Value string
	Count int
}

// Facets are the values each filter of the customer list offers, with
// their counts over the whole shop. Channel is left to the caller: the
// dashboards' in-memory facts count it without reading every order again.
type Facets struct {
	Customers                                        int // live customers in all
	Segment, Lifecycle, Tier, Province, Channel, Tag []FacetValue
}

// facetsTTL is how long a shop's facet counts are served before they are
// counted again (in the background; the old counts meanwhile). Counting
// reads every customer and order of the shop (seconds for a million), so
// it is not done per page; the filtered lists themselves are always exact.
const facetsTTL = 10 * time.Minute

type facetCache struct {
	mu    sync.Mutex
	shops map[int64]*facetEntry
}

type facetEntry struct {
	mu         sync.Mutex // held while counting, so one request counts and the rest wait
	f          *Facets
	at         time.Time
	refreshing bool
}

// Facets returns the shop's filter values with their counts, at most
// facetsTTL old (a little older while a recount runs in the background).
func (s *Service) Facets(ctx context.Context, shopID int64) (*Facets, error) {
	s.facets.mu.Lock()
	if s.facets.shops == nil {
		s.facets.shops = map[int64]*facetEntry{}
	}
	e := s.facets.shops[shopID]
	if e == nil {
		e = &facetEntry{}
		s.facets.shops[shopID] = e
	}
	s.facets.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.f == nil {
		f, err := s.countFacets(ctx, shopID)
		if err != nil {
			return nil, err
		}
		e.f, e.at = f, time.Now()
		return f, nil
	}
	if time.Since(e.at) > facetsTTL && !e.refreshing {
		e.refreshing = true
		go func() {
			f, err := s.countFacets(context.WithoutCancel(ctx), shopID)
			e.mu.Lock()
			defer e.mu.Unlock()
			e.refreshing = false
			if err == nil {
				e.f, e.at = f, time.Now()
			}
		}()
	}
	return e.f, nil
}

// provinceCounts counts live customers by province from the covering
// index customers_live_province (a plan test holds it to that).
const provinceCounts = `SELECT province, COUNT(*) FROM customers WHERE shop_id = ? AND merged_into IS NULL AND province <> '' GROUP BY province`

// countFacets counts every filter value of the shop.
func (s *Service) countFacets(ctx context.Context, shopID int64) (*Facets, error) {
	f := &Facets{}
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM customer_stats WHERE shop_id = ?`, shopID).Scan(&f.Customers); err != nil {
		return nil, fmt.Errorf("customer: customers of shop %d: %w", shopID, err)
	}
	for _, q := range []struct {
		into *[]FacetValue
		sql  string
	}{
		{&f.Segment, `SELECT segment, COUNT(*) FROM customer_scores WHERE shop_id = ? GROUP BY segment`},
		{&f.Lifecycle, `SELECT lifecycle, COUNT(*) FROM customer_scores WHERE shop_id = ? GROUP BY lifecycle`},
		{&f.Tier, `SELECT tier, COUNT(*) FROM customer_scores WHERE shop_id = ? GROUP BY tier`},
		{&f.Province, provinceCounts},
	} {
		rows, err := s.db.Query(ctx, q.sql, shopID)
		if err != nil {
			return nil, fmt.Errorf("customer: filter counts of shop %d: %w", shopID, err)
		}
		for rows.Next() {
			var v FacetValue
			if err := rows.Scan(&v.Value, &v.Count); err != nil {
				rows.Close()
				return nil, fmt.Errorf("customer: filter counts of shop %d: %w", shopID, err)
			}
			*q.into = append(*q.into, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("customer: filter counts of shop %d: %w", shopID, err)
		}
		slices.SortFunc(*q.into, func(a, b FacetValue) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value)) })
	}
	tags, err := s.TagCounts(ctx, shopID)
	if err != nil {
		return nil, err
	}
	for _, t := range tags {
		f.Tag = append(f.Tag, FacetValue{Value: t.Tag, Count: t.Customers})
	}
	return f, nil
}
