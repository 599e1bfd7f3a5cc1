package app

import (
	"context"
	"fmt"
	"net"

	"github.com/guanxi-crm/guanxi/internal/inbound"
)

// listenInbound opens the inbound SMTP server's address; nil when addr is
// empty (no mail received). The server speaks plain SMTP without
// authentication, for the shop's mail system to forward to: an address
// that is not loopback is allowed (a container's network) but warned of.
func (a *App) listenInbound(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("inbound smtp: listen on %s: %w", addr, err)
	}
	if ip, ok := ln.Addr().(*net.TCPAddr); ok && !ip.IP.IsLoopback() {
		a.Log.Warn("inbound smtp listens beyond loopback: it has no TLS nor authentication, keep it behind the mail system", "addr", ln.Addr().String())
	}
	a.Log.Info("inbound smtp listening", "addr", ln.Addr().String())
	return ln, nil
}

// serveInbound receives mail on ln until ctx is done.
func (a *App) serveInbound(ctx context.Context, ln net.Listener) {
	srv := &inbound.SMTPServer{In: a.Inbound, Log: a.Log}
	if err := srv.Serve(ctx, ln); err != nil {
		a.Log.Error("inbound smtp stopped", "err", err)
	}
}
