package loyalty

import (
	"context"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// GrantTx adds points to a customer inside the caller's transaction, for a
// job (a care rule) that records its own progress in the same commit. key
// makes the grant happen once: a second grant with the same key adds
// nothing and returns false. The points never expire, as Adjust's.
func (s *Service) GrantTx(ctx context.Context, tx *store.Tx, shopID, customerID, points int64, reason, key string) (bool, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || points < 1 || key == "" {
		return false, guanxi.Errorf(guanxi.EINVALID, "loyalty: a grant needs points above zero, a reason and a key")
	}
	if done, err := keyExists(ctx, tx, shopID, key); err != nil || done {
		return false, wrap(err, "grant points to customer %d", customerID)
	}
	if err := requireLive(ctx, tx, shopID, customerID); err != nil {
		return false, wrap(err, "grant points to customer %d", customerID)
	}
	now := s.clock.Now()
	if _, err := lockAccount(ctx, tx, shopID, customerID, now); err != nil {
		return false, wrap(err, "grant points to customer %d", customerID)
	}
	e := Entry{CustomerID: customerID, Kind: KindAdjust, Points: points, Remaining: points, Reason: reason, Actor: audit.ActorFrom(ctx).Name, CreatedAt: now, Key: key}
	if err := addBalance(ctx, tx, shopID, customerID, points); err != nil {
		return false, wrap(err, "grant points to customer %d", customerID)
	}
	if err := insertEntry(ctx, tx, shopID, &e); err != nil {
		return false, wrap(err, "grant points to customer %d", customerID)
	}
	return true, audit.Write(ctx, tx, shopID, "loyalty.adjust", "customer", customerID, map[string]any{"entry": e.ID, "points": points, "reason": reason, "key": key}, now)
}
