package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// Every refused range, in the forms an attacker would write it.
var refused = []struct {
	ip, reason string
	allowable  bool // let through when private addresses are allowed
}{
	{"127.0.0.1", "loopback", true},
	{"127.1.2.3", "loopback", true},
	{"::1", "loopback", true},
	{"::ffff:127.0.0.1", "loopback", true}, // IPv4-mapped IPv6
	{"64:ff9b::7f00:1", "loopback", true},  // NAT64 of 127.0.0.1
	{"10.0.0.1", "private", true},
	{"172.16.0.1", "private", true},
	{"172.31.255.254", "private", true},
	{"192.168.1.1", "private", true},
	{"::ffff:192.168.1.1", "private", true},
	{"fc00::1", "private", true},
	{"fd12:3456::1", "private", true},
	{"100.64.0.1", "shared (CGNAT)", true},
	{"100.127.255.254", "shared (CGNAT)", true},
	{"169.254.169.254", "link-local", false}, // cloud metadata
	{"169.254.0.1", "link-local", false},
	{"::ffff:169.254.169.254", "link-local", false},
	{"fe80::1", "link-local", false},
	{"febf::1", "link-local", false},
	{"0.0.0.0", "unspecified", false},
	{"0.1.2.3", "unspecified", false},
	{"::", "unspecified", false},
	{"224.0.0.1", "multicast", false},
	{"239.255.255.250", "multicast", false},
	{"255.255.255.255", "multicast", false},
	{"ff02::1", "multicast", false}, // link-local multicast
	{"ff05::1", "multicast", false},
}

var public = []string{"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "172.15.255.255", "100.128.0.1", "100.63.255.255",
	"192.169.0.1", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808"}

func TestClassify(t *testing.T) {
	for _, c := range refused {
		ip := netip.MustParseAddr(c.ip)
		reason, allowable := Classify(ip)
		if reason != c.reason || allowable != c.allowable {
			t.Errorf("Classify(%s) = %q, %v; want %q, %v", c.ip, reason, allowable, c.reason, c.allowable)
		}
		if err := Check(ip, false); !errors.Is(err, ErrRefused) {
			t.Errorf("Check(%s, false) = %v, want refused", c.ip, err)
		}
		err := Check(ip, true)
		if c.allowable && err != nil {
			t.Errorf("Check(%s, allow private) = %v, want allowed", c.ip, err)
		}
		if !c.allowable && !errors.Is(err, ErrRefused) {
			t.Errorf("Check(%s, allow private) = %v, want refused even so", c.ip, err)
		}
	}
	for _, s := range public {
		if err := Check(netip.MustParseAddr(s), false); err != nil {
			t.Errorf("Check(%s) = %v, want allowed", s, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	bad := []string{
		"http://127.0.0.1/", "https://127.0.0.1:8443/sms", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
		"http://[::ffff:7f00:1]/",
		"http://2130706433/",     // 127.0.0.1 as one decimal number
		"http://0177.0.0.1/",     // octal
		"http://0x7f.0.0.1/",     // hex
		"http://0x7f000001/",     // hex, one part
		"http://127.1/",          // inet_aton short form
		"http://017700000001/",   // octal, one part
		"http://localhost:8080/", // always this machine
		"http://LOCALHOST./",     // with the root dot
		"http://api.localhost/",  // RFC 6761
		"http://169.254.169.254/latest/meta-data/",
		"http://[fe80::1%25eth0]/", // zone
		"http://10.1.2.3/", "http://172.20.0.5/", "http://192.168.0.10/", "http://[fd00::5]/",
		"http://100.64.1.1/", "http://0.0.0.0/", "http://0/", "http://224.0.0.1/", "http://[ff02::1]/",
	}
	for _, u := range bad {
		err := CheckURL("webhook URL", u, false)
		if guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(err.Error(), "webhook URL") {
			t.Errorf("CheckURL(%s) = %v, want EINVALID naming the field", u, err)
		}
	}
	good := []string{"https://api.weixin.qq.com", "https://sms.example.com/send", "http://8.8.8.8/", "https://[2001:db8::1]/",
		"http://172.32.0.1/", "http://1.2.3.4:8080/", "https://2130706433.example.com/", "http://0x7f.example/"}
	for _, u := range good {
		if err := CheckURL("webhook URL", u, false); err != nil {
			t.Errorf("CheckURL(%s) = %v, want ok", u, err)
		}
	}
	for _, u := range []string{"ftp://example.com/", "file:///etc/passwd", "gopher://127.0.0.1/", "http:///x", "//example.com"} {
		if err := CheckURL("webhook URL", u, true); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("CheckURL(%s) = %v, want EINVALID (not http)", u, err)
		}
	}
	// Allowing private addresses lets loopback and private through, never
	// the metadata service, unspecified or multicast.
	for _, u := range []string{"http://127.0.0.1/", "http://2130706433/", "http://localhost:9000/", "http://10.0.0.8/", "http://[fd00::1]/", "http://100.64.0.9/"} {
		if err := CheckURL("f", u, true); err != nil {
			t.Errorf("CheckURL(%s, allow) = %v, want ok", u, err)
		}
	}
	for _, u := range []string{"http://169.254.169.254/", "http://[fe80::1]/", "http://0.0.0.0/", "http://224.0.0.1/"} {
		if err := CheckURL("f", u, true); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("CheckURL(%s, allow) = %v, want EINVALID", u, err)
		}
	}
	// The message says what to do.
	err := CheckURL("sms endpoint", "http://192.168.1.5/", false)
	if err == nil || !strings.Contains(err.Error(), "allow private addresses") {
		t.Errorf("private address error %v does not say it can be allowed", err)
	}
	if err := CheckAddr("smtp", "127.0.0.1:25", false); guanxi.ErrorCode(err) != guanxi.EINVALID {
		t.Errorf("CheckAddr(127.0.0.1:25) = %v", err)
	}
	if err := CheckAddr("smtp", "smtp.example.com:587", false); err != nil {
		t.Errorf("CheckAddr(smtp.example.com:587) = %v", err)
	}
}

func TestLiteral(t *testing.T) {
	for in, want := range map[string]string{
		"2130706433": "127.0.0.1", "0177.0.0.1": "127.0.0.1", "0x7f.1": "127.0.0.1", "127.1": "127.0.0.1",
		"10.1.65535": "10.1.255.255", "0xa9fea9fe": "169.254.169.254", "3232235777": "192.168.1.1", "0": "0.0.0.0",
	} {
		got, ok := literal(in)
		if !ok || got.String() != want {
			t.Errorf("literal(%q) = %v, %v; want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"example.com", "4294967296", "256.1.1.1", "1.2.3.4.5", "09.1.1.1", "0x", "1_0.0.0.1", "1.2.3.256", "+1.2.3.4", ""} {
		if got, ok := literal(in); ok {
			t.Errorf("literal(%q) = %v, want no address", in, got)
		}
	}
}

// get fetches u through tr and returns the error, if any.
func get(tr *http.Transport, u string) error {
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	defer tr.CloseIdleConnections()
	resp, err := c.Get(u)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// The dial-time check sees the resolved address: a URL that passed (or
// never went through) the literal check is still refused when it reaches
// loopback, whatever name or form it used.
func TestTransportRefusesAtDial(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret")) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	urls := []string{srv.URL, "http://localhost:" + port + "/", "http://[::ffff:127.0.0.1]:" + port + "/"}
	for _, u := range urls {
		if err := get(Transport(false), u); !errors.Is(err, ErrRefused) {
			t.Errorf("GET %s = %v, want refused", u, err)
		}
	}
	// The decimal and octal forms, should the resolver turn them into an
	// address (the cgo resolver does; Go's own looks them up as names and
	// finds nothing): never a connection.
	for _, u := range []string{"http://2130706433:" + port + "/", "http://0177.0.0.1:" + port + "/"} {
		err := get(Transport(false), u)
		if err == nil {
			t.Errorf("GET %s reached the loopback server", u)
		}
		var dnsErr *net.DNSError
		if !errors.Is(err, ErrRefused) && !errors.As(err, &dnsErr) {
			t.Errorf("GET %s = %v, want refused or not resolved", u, err)
		}
	}
	// Allowed: the same server answers.
	if err := get(Transport(true), srv.URL); err != nil {
		t.Errorf("GET %s with private allowed = %v", srv.URL, err)
	}
	// A dialer's error names the address and why.
	_, err := Dialer(false, time.Second).DialContext(context.Background(), "tcp", srv.Listener.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("dial loopback = %v, want refused as loopback", err)
	}
	// The environment's proxy is not used: it would dial for us.
	if Transport(false).Proxy != nil {
		t.Error("guarded transport uses a proxy")
	}
}

// An allowed server that redirects to loopback: the redirect is refused at
// its dial. The test server stands in for a public one by being exempted,
// by its exact address, from the check every other dial goes through.
func TestTransportRefusesRedirect(t *testing.T) {
	inner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("metadata")) }))
	defer inner.Close()
	_, innerPort, _ := net.SplitHostPort(inner.Listener.Addr().String())
	for _, target := range []string{inner.URL + "/latest", "http://localhost:" + innerPort + "/", "http://[::ffff:127.0.0.1]:" + innerPort + "/"} {
		outer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target, http.StatusFound)
		}))
		exempt := outer.Listener.Addr().String()
		guard := Control(false)
		tr := transport(func(network, address string, c syscall.RawConn) error {
			if address == exempt {
				return nil
			}
			return guard(network, address, c)
		})
		err := get(tr, outer.URL)
		outer.Close()
		if !errors.Is(err, ErrRefused) {
			t.Errorf("redirect to %s = %v, want refused", target, err)
		}
		var ue *url.Error
		if errors.As(err, &ue) && !strings.Contains(ue.URL, innerPort) {
			t.Errorf("refusal %v is not about the redirect target", err)
		}
	}
}

// A refused setting is both a guanxi EINVALID and ErrRefused, so that a
// page can tell it from other invalid settings.
func TestSettingErrorIsRefused(t *testing.T) {
	err := CheckURL("url", "http://127.0.0.1/", false)
	if !errors.Is(err, ErrRefused) || guanxi.ErrorCode(err) != guanxi.EINVALID || guanxi.ErrorMessage(err) != err.Error() {
		t.Fatalf("%v: Is refused %v, code %s", err, errors.Is(err, ErrRefused), guanxi.ErrorCode(err))
	}
	if err := CheckURL("url", "ftp://x/", false); errors.Is(err, ErrRefused) {
		t.Fatalf("a malformed URL is not a refused address: %v", err)
	}
}
