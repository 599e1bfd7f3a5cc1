package segment

import (
	"context"
	"fmt"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// AllMembers returns the ids of every live customer of the shop the rule
// holds, in ascending order: a campaign snapshots its audience with it. It
// reads them in one statement, so the set is consistent at one moment.
func (s *Service) AllMembers(ctx context.Context, shopID int64, r *Rule) ([]int64, error) {
	e, err := s.env(ctx, shopID)
	if err != nil {
		return nil, err
	}
	where, args := e.where(r)
	ids, err := store.IDs(ctx, s.db, `SELECT c.id `+from(uses(r, "s"), uses(r, "cs"))+where+`
ORDER BY c.id`, append([]any{shopID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("segment: all members in shop %d: %w", shopID, err)
	}
	return ids, nil
}

// SegmentsOf returns the shop's saved segments whose rule holds customer id
// now, by name: none for a customer merged into another or not of the
// shop. A data-subject export lists them. Each rule is the same SQL as
// Count's, asked about the one customer by primary key.
func (s *Service) SegmentsOf(ctx context.Context, shopID, id int64) ([]Segment, error) {
	segs, err := s.List(ctx, shopID)
	if err != nil || len(segs) == 0 {
		return nil, err
	}
	e, err := s.env(ctx, shopID)
	if err != nil {
		return nil, err
	}
	var out []Segment
	for _, seg := range segs {
		where, args := e.where(seg.Rule)
		var n int
		err := s.db.QueryRow(ctx, `SELECT COUNT(*) `+from(uses(seg.Rule, "s"), uses(seg.Rule, "cs"))+`c.id = ? AND (`+where+`)`,
			append([]any{shopID, id}, args...)...).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("segment: segments of customer %d in shop %d: %w", id, shopID, err)
		}
		if n > 0 {
			out = append(out, seg)
		}
	}
	return out, nil
}
