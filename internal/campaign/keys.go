package campaign

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
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
	} else if k = s.storedKey(ctx, shopID); k == nil {
		return nil, guanxi.Errorf(guanxi.EINVALID, "no signing key for shop %d", shopID)
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte("guanxi purpose key\x00" + purpose))
	return m.Sum(nil), nil
}

// storedKey returns the shop's signing key, or nil when it has none (or it
// cannot be read): checking a link makes no key, since a token naming a
// shop without one is forged.
func (s *Service) storedKey(ctx context.Context, shopID int64) []byte {
	var secret string
	if err := s.db.QueryRow(ctx, `SELECT secret FROM contact_keys WHERE shop_id = ?`, shopID).Scan(&secret); err != nil {
		return nil
	}
	k, err := hex.DecodeString(secret)
	if err != nil {
		return nil
	}
	return k
}

// tokenMACLen is how many bytes of HMAC-SHA256 end a signed token.
const tokenMACLen = 16

// SignToken returns a public link's token: payload, then the first 16
// bytes of its HMAC-SHA256 under key, in unpadded base64url. Unsubscribe and
// survey links are both made so (with different keys and payload lengths);
// a token is checked by signing its payload again and comparing the whole
// strings with hmac.Equal, since base64 has more than one spelling of the
// same bytes and a changed character must never pass.
func SignToken(key, payload []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return base64.RawURLEncoding.EncodeToString(append(payload[:len(payload):len(payload)], m.Sum(nil)[:tokenMACLen]...))
}
