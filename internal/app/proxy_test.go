package app

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/audit"
)

// TestTrustedProxies: behind a trusted proxy the client's address is the
// right-most untrusted hop of X-Forwarded-For; from anyone else the header
// changes nothing, so a client cannot pick the address it is throttled by.
func TestTrustedProxies(t *testing.T) {
	trusted, err := ParseTrustedProxies("127.0.0.1, 10.0.0.0/8,::1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,nonsense"); err == nil {
		t.Fatal("a bad entry was accepted")
	}
	var got string
	h := behindProxies(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = audit.PeerIP(r) }))
	for _, c := range []struct{ peer, xff, want string }{
		{"127.0.0.1:5000", "203.0.113.7", "203.0.113.7"},
		{"127.0.0.1:5000", "198.51.100.1, 203.0.113.7", "203.0.113.7"},           // the client wrote the first hop itself
		{"127.0.0.1:5000", "198.51.100.1, 203.0.113.7, 10.1.2.3", "203.0.113.7"}, // two proxies of ours
		{"[::1]:5000", "2001:db8::5", "2001:db8::5"},
		{"127.0.0.1:5000", "", "127.0.0.1"},
		{"127.0.0.1:5000", "junk, 10.1.2.3", "127.0.0.1"},
		{"127.0.0.1:5000", "10.9.9.9", "127.0.0.1"},      // only proxies: the peer stands
		{"192.0.2.44:5000", "203.0.113.7", "192.0.2.44"}, // not a proxy of ours: the header is ignored
		{"[2001:db8::9]:5000", "203.0.113.7", "2001:db8::9"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: client %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
}
