package customer

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// Demographics are profile facts that orders do not carry, for the customer
// known on a platform by Key.
type Demographics struct {
	Platform string
	Key      string
	Gender   string // "f", "m" or ""
	Birthday time.Time
	Tags     []string
}

// SetDemographics writes gender, birthday and tags onto the customers the
// platform keys identify; keys that identify nobody are skipped.
func SetDemographics(ctx context.Context, tx *store.Tx, shopID int64, ds []Demographics, now int64) error {
	st, err := tx.Prepare(ctx, `UPDATE customers SET gender = ?, birthday = ?, tags = ?, updated_at = ?
WHERE shop_id = ? AND id = (SELECT customer_id FROM customer_identities WHERE shop_id = ? AND platform = ? AND value = ? LIMIT 1)`)
	if err != nil {
		return fmt.Errorf("customer: demographics: %w", err)
	}
	defer st.Close()
	for _, d := range ds {
		tags, _ := json.Marshal(d.Tags) // []string always marshals
		if d.Tags == nil {
			tags = []byte("[]")
		}
		bday := ""
		if !d.Birthday.IsZero() {
			bday = d.Birthday.Format(time.DateOnly)
		}
		if _, err := st.ExecContext(ctx, d.Gender, bday, string(tags), now, shopID, shopID, d.Platform, d.Key); err != nil {
			return fmt.Errorf("customer: demographics of %s %s: %w", d.Platform, d.Key, err)
		}
	}
	return nil
}
