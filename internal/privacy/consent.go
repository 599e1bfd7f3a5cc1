package privacy

import (
	"context"
	"fmt"
	"time"
)

// ConsentChange is one grant or withdrawal of a consent, as consent_log
// keeps it: the database writes it whenever customer_consents changes.
type ConsentChange struct {
	CustomerID int64 // a merged-away customer's own changes stay theirs
	Channel    string
	Purpose    string
	Granted    bool
	Source     string
	At         time.Time
}

// ConsentHistory returns every consent change of customer id and of the
// customers merged into them, newest first.
func (s *Service) ConsentHistory(ctx context.Context, shopID, id int64) ([]ConsentChange, error) {
	ids, err := family(ctx, s.db, shopID, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT customer_id, channel, purpose, granted, source, at FROM consent_log
WHERE shop_id = ? AND customer_id IN (`+idList(ids)+`) ORDER BY at DESC, channel, purpose`, shopID)
	if err != nil {
		return nil, fmt.Errorf("privacy: consent history: %w", err)
	}
	defer rows.Close()
	var out []ConsentChange
	for rows.Next() {
		var c ConsentChange
		var at int64
		if err := rows.Scan(&c.CustomerID, &c.Channel, &c.Purpose, &c.Granted, &c.Source, &at); err != nil {
			return nil, fmt.Errorf("privacy: consent history: %w", err)
		}
		c.At = time.Unix(at, 0)
		out = append(out, c)
	}
	return out, rows.Err()
}
