// Package netguard keeps Guanxi's outbound connections away from the network
// it runs in. A shop admin configures where messages go (an SMS gateway, a
// webhook URL, a WeChat base URL, an SMTP host); without a guard that admin
// could point Guanxi at the loopback interface, the cloud metadata service
// (169.254.169.254) or the operator's private network and read or poke at
// services that were never meant to be reachable from a shop (SSRF).
//
// The guard has two parts:
//
//   - Control, a net.Dialer.Control hook, checks the IP actually being
//     dialled, after name resolution. A host name that resolves (or later
//     re-resolves: DNS rebinding) to a refused address, and an HTTP redirect
//     to one, are refused at that point, whatever the URL said.
//   - CheckURL and CheckHost check a literal host when settings are saved, so
//     that an admin typing http://127.0.0.1/ learns at once why it will not
//     work (a guanxi EINVALID naming the field).
//
// Private addresses can be allowed, per shop by its admin or for the whole
// server by the operator (an on-premise SMS gateway on 10.x): Allow then
// lets through loopback, private and CGNAT addresses, but never the
// unspecified, multicast or link-local ones (the metadata service lives on
// link-local, and no gateway does).
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// ErrRefused is what a refused dial wraps; errors.Is finds it through the
// net and url errors around it.
var ErrRefused = errors.New("netguard: address refused")

// Refused is a refused address and why.
type Refused struct {
	Addr   netip.Addr
	Reason string // "loopback", "private", "link-local", ...
}

func (e *Refused) Error() string {
	return fmt.Sprintf("netguard: connection to %s refused: %s address (an admin may allow private addresses for on-premise gateways)", e.Addr, e.Reason)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *Refused) Is(target error) bool { return target == ErrRefused }

var (
	cgnat    = netip.MustParsePrefix("100.64.0.0/10")
	thisNet  = netip.MustParsePrefix("0.0.0.0/8")     // "this network": 0.x.y.z reaches the local host on Linux
	nat64    = netip.MustParsePrefix("64:ff9b::/96")  // an IPv4 address behind a NAT64 translator
	broadcst = netip.MustParseAddr("255.255.255.255") // limited broadcast
)

// Classify returns why ip is refused ("" when it is a public address), and
// whether allowing private addresses lets it through.
func Classify(ip netip.Addr) (reason string, allowable bool) {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if ip.Is6() && nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	switch {
	case !ip.IsValid():
		return "invalid", false
	case ip.IsUnspecified(), ip.Is4() && thisNet.Contains(ip):
		return "unspecified", false
	case ip.IsMulticast(), ip == broadcst:
		return "multicast", false
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "link-local", false
	case ip.IsLoopback():
		return "loopback", true
	case ip.IsPrivate():
		return "private", true
	case ip.Is4() && cgnat.Contains(ip):
		return "shared (CGNAT)", true
	}
	return "", false
}

// Check returns a *Refused when ip may not be dialled.
func Check(ip netip.Addr, allowPrivate bool) error {
	reason, allowable := Classify(ip)
	if reason == "" || (allowPrivate && allowable) {
		return nil
	}
	return &Refused{Addr: ip.Unmap(), Reason: reason}
}

// Control returns a net.Dialer.Control hook that refuses the addresses
// Check refuses. It runs once per dialled IP, after resolution.
func Control(allowPrivate bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("netguard: %s: %w", address, ErrRefused)
		}
		return Check(ap.Addr(), allowPrivate)
	}
}

// Dialer returns a dialer guarded by Control.
func Dialer(allowPrivate bool, timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: Control(allowPrivate)}
}

// Transport returns a clone of http.DefaultTransport whose connections are
// dialled through a guarded dialer, and with no proxy: a proxy from the
// environment would dial on Guanxi's behalf and bypass the guard.
func Transport(allowPrivate bool) *http.Transport {
	return transport(Control(allowPrivate))
}

func transport(control func(network, address string, c syscall.RawConn) error) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: control}
	t.DialContext = d.DialContext
	return t
}

// CheckURL checks, when settings are saved, that raw is an http(s) URL whose
// host is not a literal refused address; field names the setting in the
// EINVALID error. Host names are resolved only when dialling.
func CheckURL(field, raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return guanxi.Errorf(guanxi.EINVALID, "%s: %q is not an http(s) URL", field, raw)
	}
	return CheckHost(field, u.Hostname(), allowPrivate)
}

// CheckHost checks a host (a name or a literal address, without port) as
// CheckURL does. Besides the usual forms it reads the ones inet_aton and
// some resolvers accept — 2130706433, 0177.0.0.1, 0x7f.1 — since a resolver
// may turn them into the address they spell; and "localhost" and names
// under .localhost, which always mean this machine.
func CheckHost(field, host string, allowPrivate bool) error {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if h == "" {
		return guanxi.Errorf(guanxi.EINVALID, "%s: a host is required", field)
	}
	ip, ok := literal(h)
	if !ok {
		if h == "localhost" || strings.HasSuffix(h, ".localhost") {
			ip, ok = netip.MustParseAddr("127.0.0.1"), true
		}
	}
	if !ok {
		return nil
	}
	if err := Check(ip, allowPrivate); err != nil {
		r := err.(*Refused)
		hint := ""
		if !allowPrivate && allowable(ip) {
			hint = "; allow private addresses for this shop if the gateway is on your own network"
		}
		return &settingError{guanxi.Errorf(guanxi.EINVALID, "%s: %s is a %s address (%s), refused%s", field, host, r.Reason, r.Addr, hint)}
	}
	return nil
}

// settingError is a refused host in settings: a guanxi EINVALID for the
// caller, that errors.Is(err, ErrRefused) also recognises, so a page can
// say what to do about it.
type settingError struct{ e *guanxi.Error }

func (s *settingError) Error() string   { return s.e.Error() }
func (s *settingError) Unwrap() []error { return []error{s.e, ErrRefused} }

func allowable(ip netip.Addr) bool { _, a := Classify(ip); return a }

// CheckAddr checks a host:port (an SMTP server) as CheckHost does.
func CheckAddr(field, hostport string, allowPrivate bool) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return guanxi.Errorf(guanxi.EINVALID, "%s: %q is not host:port", field, hostport)
	}
	return CheckHost(field, host, allowPrivate)
}

// literal parses h as an IP address in any form a resolver may accept:
// netip's, and the inet_aton forms of IPv4 (1 to 4 parts, each decimal,
// octal with a leading 0 or hex with 0x).
func literal(h string) (netip.Addr, bool) {
	if i := strings.IndexByte(h, '%'); i >= 0 { // fe80::1%eth0
		h = h[:i]
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip, true
	}
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		base, digits := 10, p
		switch {
		case strings.HasPrefix(p, "0x"):
			base, digits = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		if digits == "" || strings.ContainsAny(digits, "_+-") {
			return netip.Addr{}, false
		}
		n, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	// The last part fills the remaining bytes; the others are one byte each.
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (8 * (3 - i))
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// DialContext is a guarded dial for callers that dial themselves (SMTP).
func DialContext(ctx context.Context, allowPrivate bool, deadline time.Time, network, addr string) (net.Conn, error) {
	d := net.Dialer{Deadline: deadline, Control: Control(allowPrivate)}
	return d.DialContext(ctx, network, addr)
}
