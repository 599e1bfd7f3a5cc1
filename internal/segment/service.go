// Package segment owns saved dynamic segments: a JSON rule format over a
// customer's profile, consent, scores and purchases (ParseRule), its
// evaluation as one SQL query over the shop's live customers on either
// engine, the segments table, and a daily history of each segment's size.
// Counts are answered from an in-memory index of each shop's facts, kept by
// the Service and rebuilt in the background when the shop's data changes,
// with the same result as the SQL (index.go, eval.go, fresh.go). Values in
// a rule only ever reach the database as query arguments. A Service is safe
// for concurrent use.
package segment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Service evaluates rules and keeps a shop's saved segments. Every method
// takes the shop first and passes it as the first argument of its queries.
type Service struct {
	db    *store.DB
	clock guanxi.Clock
	index *indexes // per shop, what Count answers from without SQL (index.go, fresh.go)
}

// NewService returns a Service on db; clock says what "now" is for
// within_days.
func NewService(db *store.DB, clock guanxi.Clock) *Service {
	return &Service{db: db, clock: clock, index: newIndexes(db)}
}

// Segment is a saved rule with a name.
type Segment struct {
	ID        int64
	Name      string
	Rule      *Rule
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy int64 // users.id, 0 when made from the command line
}

// Size is a segment's member count on one day.
type Size struct {
	Day       int // yyyymmdd in shop time
	Customers int
}

// Default and largest page sizes of Members.
const (
	DefaultLimit = 50
	MaxLimit     = 10_000
)

// Count returns how many of the shop's live customers the rule holds. It
// fails with ENOTFOUND when there is no such shop. It answers from the
// shop's in-memory index while that is current, and runs the rule's SQL
// otherwise (and meanwhile builds the index in the background): both give
// the same number.
func (s *Service) Count(ctx context.Context, shopID int64, r *Rule) (int, error) {
	e, err := s.env(ctx, shopID)
	if err != nil {
		return 0, err
	}
	if ix := s.index.fresh(ctx, shopID); ix != nil {
		return ix.count(e, r), nil
	}
	return s.countSQL(ctx, shopID, e, r)
}

// countSQL is Count by the rule's SQL.
func (s *Service) countSQL(ctx context.Context, shopID int64, e env, r *Rule) (int, error) {
	where, args := e.where(r)
	var n int
	if err := s.db.QueryRow(ctx, countSQL(r)+where, append([]any{shopID}, args...)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("segment: count in shop %d: %w", shopID, err)
	}
	return n, nil
}

// Members returns one page of the ids of the shop's live customers the rule
// holds, most recent buyer first (those who never bought last, newest
// customer id first among equals).
func (s *Service) Members(ctx context.Context, shopID int64, r *Rule, limit, offset int) ([]int64, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit, offset = min(limit, MaxLimit), max(offset, 0)
	e, err := s.env(ctx, shopID)
	if err != nil {
		return nil, err
	}
	where, args := e.where(r)
	args = append(append([]any{shopID}, args...), limit, offset)
	ids, err := store.IDs(ctx, s.db, membersSQL(r)+where+membersOrder, args...)
	if err != nil {
		return nil, fmt.Errorf("segment: members in shop %d: %w", shopID, err)
	}
	return ids, nil
}

// env reads the shop's time zone.
func (s *Service) env(ctx context.Context, shopID int64) (env, error) {
	var tz string
	err := s.db.QueryRow(ctx, `SELECT timezone FROM shops WHERE id = ?`, shopID).Scan(&tz)
	if errors.Is(err, sql.ErrNoRows) {
		return env{}, guanxi.Errorf(guanxi.ENOTFOUND, "shop %d not found", shopID)
	}
	if err != nil {
		return env{}, fmt.Errorf("segment: shop %d: %w", shopID, err)
	}
	return env{dialect: s.db.Dialect, loc: shop.LocationOf(tz), now: s.clock.Now()}, nil
}

// Create saves a new segment, setting its ID and times. It fails with
// EINVALID without a name or rule and ECONFLICT when the name is taken.
func (s *Service) Create(ctx context.Context, shopID int64, seg *Segment) error {
	if err := check(seg); err != nil {
		return err
	}
	now := s.clock.Now().Truncate(time.Second)
	return s.db.Update(ctx, func(tx *store.Tx) error {
		id, err := tx.NextIDs(ctx, shopID, "segments", 1)
		if err != nil {
			return fmt.Errorf("segment: create in shop %d: %w", shopID, err)
		}
		var by any
		if seg.CreatedBy != 0 {
			by = seg.CreatedBy
		}
		if _, err := tx.Exec(ctx, insertSQL, shopID, id, seg.Name, string(seg.Rule.JSON()), now.Unix(), now.Unix(), by); err != nil {
			return fmt.Errorf("segment: create %q in shop %d: %w", seg.Name, shopID, store.MapError(err))
		}
		seg.ID, seg.CreatedAt, seg.UpdatedAt = id, now, now
		return nil
	})
}

// Update saves a segment's name and rule. It fails with ENOTFOUND when the
// shop has no such segment, ECONFLICT when the name is taken.
func (s *Service) Update(ctx context.Context, shopID int64, seg *Segment) error {
	if err := check(seg); err != nil {
		return err
	}
	now := s.clock.Now().Truncate(time.Second)
	res, err := s.db.Exec(ctx, `UPDATE segments SET name = ?, rule = ?, updated_at = ? WHERE shop_id = ? AND id = ?`,
		seg.Name, string(seg.Rule.JSON()), now.Unix(), shopID, seg.ID)
	if err != nil {
		return fmt.Errorf("segment: update %d in shop %d: %w", seg.ID, shopID, store.MapError(err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return guanxi.Errorf(guanxi.ENOTFOUND, "segment %d not found", seg.ID)
	}
	seg.UpdatedAt = now
	return nil
}

func check(seg *Segment) error {
	seg.Name = strings.TrimSpace(seg.Name)
	switch {
	case seg.Name == "":
		return guanxi.Errorf(guanxi.EINVALID, "name: required")
	case len(seg.Name) > 200:
		return guanxi.Errorf(guanxi.EINVALID, "name: longer than 200 bytes")
	case seg.Rule == nil:
		return guanxi.Errorf(guanxi.EINVALID, "rule: required")
	}
	return nil
}

// Get returns a segment, or ENOTFOUND.
func (s *Service) Get(ctx context.Context, shopID, id int64) (*Segment, error) {
	segs, err := s.list(ctx, shopID, `WHERE shop_id = ? AND id = ?`, shopID, id)
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "segment %d not found", id)
	}
	return &segs[0], nil
}

// List returns the shop's segments by name.
func (s *Service) List(ctx context.Context, shopID int64) ([]Segment, error) {
	return s.list(ctx, shopID, `WHERE shop_id = ? ORDER BY name, id`, shopID)
}

func (s *Service) list(ctx context.Context, shopID int64, where string, args ...any) ([]Segment, error) {
	rows, err := s.db.Query(ctx, `SELECT id, name, rule, created_at, updated_at, created_by FROM segments `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("segment: list shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []Segment
	for rows.Next() {
		var seg Segment
		var rule string
		var created, updated int64
		var by sql.NullInt64
		if err := rows.Scan(&seg.ID, &seg.Name, &rule, &created, &updated, &by); err != nil {
			return nil, fmt.Errorf("segment: list shop %d: %w", shopID, err)
		}
		if seg.Rule, err = ParseRule([]byte(rule)); err != nil {
			return nil, fmt.Errorf("segment: shop %d segment %d: stored rule: %w", shopID, seg.ID, err)
		}
		seg.CreatedAt, seg.UpdatedAt, seg.CreatedBy = time.Unix(created, 0), time.Unix(updated, 0), by.Int64
		out = append(out, seg)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("segment: list shop %d: %w", shopID, err)
	}
	return out, nil
}

// Delete removes a segment and its history, or fails with ENOTFOUND.
func (s *Service) Delete(ctx context.Context, shopID, id int64) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM segment_sizes WHERE shop_id = ? AND segment_id = ?`, shopID, id); err != nil {
			return fmt.Errorf("segment: delete %d in shop %d: %w", id, shopID, err)
		}
		res, err := tx.Exec(ctx, `DELETE FROM segments WHERE shop_id = ? AND id = ?`, shopID, id)
		if err != nil {
			return fmt.Errorf("segment: delete %d in shop %d: %w", id, shopID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return guanxi.Errorf(guanxi.ENOTFOUND, "segment %d not found", id)
		}
		return nil
	})
}

// RecordSizes counts every saved segment of the shop and records the counts
// as the sizes on day (yyyymmdd), replacing those of an earlier run that
// day: the nightly job calls it once a day.
func (s *Service) RecordSizes(ctx context.Context, shopID int64, day int) error {
	segs, err := s.List(ctx, shopID)
	if err != nil {
		return err
	}
	sizes := make([]int, len(segs))
	for i, seg := range segs {
		if sizes[i], err = s.Count(ctx, shopID, seg.Rule); err != nil {
			return err
		}
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		for i, seg := range segs {
			if _, err := tx.Exec(ctx, upsertSizeSQL, shopID, seg.ID, day, sizes[i]); err != nil {
				return fmt.Errorf("segment: record size of %d in shop %d: %w", seg.ID, shopID, err)
			}
		}
		return nil
	})
}

// History returns a segment's recorded sizes, oldest day first.
func (s *Service) History(ctx context.Context, shopID, segmentID int64) ([]Size, error) {
	rows, err := s.db.Query(ctx, `SELECT day, customers FROM segment_sizes WHERE shop_id = ? AND segment_id = ? ORDER BY day`, shopID, segmentID)
	if err != nil {
		return nil, fmt.Errorf("segment: history of %d in shop %d: %w", segmentID, shopID, err)
	}
	defer rows.Close()
	var out []Size
	for rows.Next() {
		var sz Size
		if err := rows.Scan(&sz.Day, &sz.Customers); err != nil {
			return nil, fmt.Errorf("segment: history of %d in shop %d: %w", segmentID, shopID, err)
		}
		out = append(out, sz)
	}
	return out, rows.Err()
}
