package api_test

import (
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestTokenRevokedAtOnce: a token that worked is refused on its very next
// request once revoked (nothing caches it), and a token with any character
// changed, cut short or lengthened is refused like an unknown one, with
// the same answer.
func TestTokenRevokedAtOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, api.Config{})
		plain, tok, err := e.auth.CreateToken(ctx, e.shopA.ID, "soon revoked", []string{"customers:read"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if status, _, body := e.get(t, plain, "/customers?limit=1", nil); status != 200 {
			t.Fatalf("before revoking: %d %s", status, body)
		}
		_, _, unknown := e.get(t, "gx_not_a_token", "/customers?limit=1", nil)
		for i := range plain {
			for _, c := range []byte{'A', '0'} {
				if plain[i] == c {
					continue
				}
				forged := plain[:i] + string(c) + plain[i+1:]
				if status, _, body := e.get(t, forged, "/customers?limit=1", nil); status != 401 || body != unknown {
					t.Fatalf("character %d changed: %d %s", i, status, body)
				}
			}
		}
		for _, forged := range []string{plain[:len(plain)-1], plain + "A", strings.ToUpper(plain), " " + plain + "x"} {
			if status, _, body := e.get(t, forged, "/customers?limit=1", nil); status != 401 || body != unknown {
				t.Errorf("%q: %d %s", forged, status, body)
			}
		}
		if err := e.auth.RevokeToken(ctx, e.shopA.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if status, _, body := e.get(t, plain, "/customers?limit=1", nil); status != 401 || body != unknown {
			t.Errorf("the request after revoking: %d %s, want the unknown token's 401", status, body)
		}
	})
}
