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
