package campaign

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"

	"github.com/guanxi-crm/guanxi"
)

// PurposeKey returns a signing key for other public links of the shop (a
// survey's), derived from the shop's unsubscribe key with HMAC over the
// purpose's name: each purpose gets its own key, so a token signed for one
// purpose is never valid for another, and rotating the shop's key revokes
// them all at once. create false makes no key for a shop without one (a
// token naming such a shop is forged); the error is then EINVALID.
func (s *Service) PurposeKey(ctx context.Context, shopID int64, purpose string, create bool) ([]byte, error) {
	var k []byte
	if create {
		var err error
		if k, err = s.key(ctx, shopID); err != nil {
			return nil, err
		}
	} else {
		var secret string
		if err := s.db.QueryRow(ctx, `SELECT secret FROM contact_keys WHERE shop_id = ?`, shopID).Scan(&secret); err != nil {
			return nil, guanxi.Errorf(guanxi.EINVALID, "no signing key for shop %d", shopID)
		}
		var err error
		if k, err = hex.DecodeString(secret); err != nil {
			return nil, guanxi.Errorf(guanxi.EINVALID, "no signing key for shop %d", shopID)
		}
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte("guanxi purpose key\x00" + purpose))
	return m.Sum(nil), nil
}
