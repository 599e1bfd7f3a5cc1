package customer

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// TagCount is a tag and how many of the shop's live customers carry it.
type TagCount struct {
	Tag       string
	Customers int
}

// taggedCustomers reads the tags of the live customers that have any,
// through the partial index customers_tagged (a plan test holds it to that).
const taggedCustomers = `SELECT tags FROM customers WHERE shop_id = ? AND merged_into IS NULL AND tags <> '[]'`

// TagCounts lists the tags of the shop's live (not merged-away) customers
// with their counts, most used first, then by tag.
func (s *Service) TagCounts(ctx context.Context, shopID int64) ([]TagCount, error) {
	// Tags are a JSON array per customer (no tag table): only the customers
	// with any are read, and counted here.
	rows, err := s.db.Query(ctx, taggedCustomers, shopID)
	if err != nil {
		return nil, fmt.Errorf("customer: tags of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("customer: tags of shop %d: %w", shopID, err)
		}
		var tags []string
		if json.Unmarshal([]byte(raw), &tags) != nil {
			continue // a malformed value counts as no tags, as Get shows it
		}
		for i, t := range tags {
			if t != "" && !slices.Contains(tags[:i], t) {
				counts[t]++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customer: tags of shop %d: %w", shopID, err)
	}
	out := make([]TagCount, 0, len(counts))
	for t, n := range counts {
		out = append(out, TagCount{Tag: t, Customers: n})
	}
	slices.SortFunc(out, func(a, b TagCount) int {
		return cmp.Or(cmp.Compare(b.Customers, a.Customers), cmp.Compare(a.Tag, b.Tag))
	})
	return out, nil
}

// ChangeTags adds and removes tags on the customer as it stands, through
// Update (so the change is versioned and on the timeline), trying again
// when another edit lands in between. It returns the customer after the
// change; a change that changes nothing writes nothing. ENOTFOUND for a
// customer the shop does not have or that was merged away.
func (s *Service) ChangeTags(ctx context.Context, shopID, id int64, add, remove []string, actor int64, now time.Time) (*Customer, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.Get(ctx, shopID, id)
		if err != nil {
			return nil, err
		}
		if c.MergedInto != 0 {
			return nil, guanxi.Errorf(guanxi.ENOTFOUND, "customer %d was merged into %d", id, c.MergedInto)
		}
		tags := slices.DeleteFunc(slices.Clone(c.Tags), func(t string) bool { return slices.Contains(remove, t) })
		for _, t := range add {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		if slices.Equal(tags, c.Tags) {
			return c, nil
		}
		e := Edit{Name: c.Name, Gender: c.Gender, Birthday: c.Birthday, Province: c.Province, City: c.City, Tags: tags}
		_, err = s.Update(ctx, shopID, id, c.Version, e, actor, now)
		if guanxi.ErrorCode(err) == guanxi.ECONFLICT && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return s.Get(ctx, shopID, id)
	}
}
