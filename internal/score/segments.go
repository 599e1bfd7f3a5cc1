package score

import (
	"context"
	"database/sql"
	"fmt"
)

// Count is one value of a classification and how many customers have it.
type Count struct {
	Value     string
	Customers int
}

// Segments is how the shop's live customers fall into the classes of the
// latest score run: the 11 RFM segments, the Chinese 8-class RFM model,
// lifecycle stages and value tiers, each most customers first. AsOf is ""
// and the lists empty before the first score run.
type Segments struct {
	AsOf      string
	Segments  []Count
	SegmentCN []Count
	Lifecycle []Count
	Tiers     []Count
}

// SegmentCounts counts the shop's live scored customers by class.
func (s *Service) SegmentCounts(ctx context.Context, shopID int64) (*Segments, error) {
	out := &Segments{Segments: []Count{}, SegmentCN: []Count{}, Lifecycle: []Count{}, Tiers: []Count{}}
	var asOf sql.NullString
	if err := s.db.QueryRow(ctx, `SELECT MAX(as_of) FROM customer_scores WHERE shop_id = ?`, shopID).Scan(&asOf); err != nil {
		return nil, fmt.Errorf("score: segments of shop %d: %w", shopID, err)
	}
	out.AsOf = asOf.String
	for _, c := range []struct {
		col  string
		dest *[]Count
	}{{"s.segment", &out.Segments}, {"s.segment_cn", &out.SegmentCN}, {"s.lifecycle", &out.Lifecycle}, {"s.tier", &out.Tiers}} {
		// col is one of the four names above, never input.
		rows, err := s.db.Query(ctx, `SELECT `+c.col+`, COUNT(*) FROM customer_scores s
JOIN customers c ON c.shop_id = s.shop_id AND c.id = s.customer_id
WHERE s.shop_id = ? AND c.merged_into IS NULL
GROUP BY `+c.col+`
ORDER BY COUNT(*) DESC, `+c.col, shopID)
		if err != nil {
			return nil, fmt.Errorf("score: segments of shop %d: %w", shopID, err)
		}
		for rows.Next() {
			var n Count
			if err := rows.Scan(&n.Value, &n.Customers); err != nil {
				rows.Close()
				return nil, fmt.Errorf("score: segments of shop %d: %w", shopID, err)
			}
			*c.dest = append(*c.dest, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("score: segments of shop %d: %w", shopID, err)
		}
	}
	return out, nil
}
