package customer

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
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

// ChangeTags adds and removes tags on the customer as it stands, as one
// versioned edit on the timeline. The customer is read and written in one
// write transaction, holding its row (PostgreSQL; SQLite's writer is one
// at a time anyway), so concurrent tag changes never conflict: adding and
// removing commute, and none is lost. It returns the customer after the
// change; a change that changes nothing writes nothing. ENOTFOUND for a
// customer the shop does not have or that was merged away.
func (s *Service) ChangeTags(ctx context.Context, shopID, id int64, add, remove []string, actor int64, now time.Time) (*Customer, error) {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		lock := ""
		if tx.Dialect() == store.Postgres {
			lock = " FOR UPDATE"
		}
		var e Edit
		var raw string
		var version int64
		var merged sql.NullInt64
		err := tx.QueryRow(ctx, `SELECT name, gender, birthday, province, city, tags, version, merged_into FROM customers WHERE shop_id = ? AND id = ?`+lock,
			shopID, id).Scan(&e.Name, &e.Gender, &e.Birthday, &e.Province, &e.City, &raw, &version, &merged)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return guanxi.Errorf(guanxi.ENOTFOUND, "customer %d not found", id)
		case err != nil:
			return err
		case merged.Valid:
			return guanxi.Errorf(guanxi.ENOTFOUND, "customer %d was merged into %d", id, merged.Int64)
		}
		var old []string
		if raw != "" && raw != "[]" {
			_ = json.Unmarshal([]byte(raw), &old) // malformed: no tags, as Get shows it
		}
		tags := slices.DeleteFunc(slices.Clone(old), func(t string) bool { return slices.Contains(remove, t) })
		for _, t := range add {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		if slices.Equal(tags, old) {
			return nil
		}
		e.Tags = tags
		if err := e.check(); err != nil {
			return err
		}
		return update(ctx, tx, shopID, id, version, e, actor, now)
	})
	if err != nil {
		if guanxi.ErrorCode(err) != guanxi.EINTERNAL {
			return nil, err
		}
		return nil, fmt.Errorf("customer: tags of %d in shop %d: %w", id, shopID, err)
	}
	return s.Get(ctx, shopID, id)
}
