// Package httpguard makes HTTP clients for requests whose URL a workspace admin chooses (the
// automation flows' HTTP Request step, outgoing webhooks): they refuse to connect to loopback,
// private, link-local (cloud metadata at 169.254.169.254 included), carrier-grade NAT,
// unspecified and multicast addresses unless an operator allows a range explicitly. The check
// runs on the address actually dialled, after DNS resolution and on every redirect, so a
// hostname that resolves (or re-resolves) to an internal address is refused too.
package httpguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress is returned (wrapped) when a request would reach a refused address.
var ErrForbiddenAddress = errors.New("address not allowed")

// refused are the ranges no user-chosen request may reach by default.
var refused = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("10.0.0.0/8"),     // private
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback
	netip.MustParsePrefix("169.254.0.0/16"), // link-local, cloud metadata
	netip.MustParsePrefix("172.16.0.0/12"),  // private
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("192.168.0.0/16"), // private
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("224.0.0.0/4"),    // multicast
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast
	netip.MustParsePrefix("::/128"),         // unspecified
	netip.MustParsePrefix("::1/128"),        // loopback
	netip.MustParsePrefix("fc00::/7"),       // unique local
	netip.MustParsePrefix("fe80::/10"),      // link-local
	netip.MustParsePrefix("ff00::/8"),       // multicast
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
}

// Options configure a guarded client.
type Options struct {
	// Allow lists ranges that may be reached although they are refused by default (an
	// integration on the private network, or tests against a local server).
	Allow []netip.Prefix
	// Timeout bounds the whole request, redirects included (default 30 s).
	Timeout time.Duration
	// MaxRedirects bounds redirects (default 5).
	MaxRedirects int
}

// Check reports whether ip may be reached under allow.
func Check(ip netip.Addr, allow []netip.Prefix) error {
	ip = ip.Unmap()
	for _, p := range allow {
		if p.Contains(ip) {
			return nil
		}
	}
	for _, p := range refused {
		if p.Contains(ip) {
			return fmt.Errorf("%w: %s is in %s", ErrForbiddenAddress, ip, p)
		}
	}
	return nil
}

// NewClient returns a client that refuses the ranges above on every connection it makes.
func NewClient(o Options) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 5
	}
	dialer := &net.Dialer{
		Timeout: 10 * time.Second,
		// Control runs with the resolved address just before connecting: what is checked is what
		// is dialled, whatever the hostname said.
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: cannot parse %q", ErrForbiddenAddress, address)
			}
			return Check(ap.Addr(), o.Allow)
		},
	}
	transport := &http.Transport{
		Proxy: nil, // a proxy would dial for us, out of the check's reach
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          20,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= o.MaxRedirects {
				return fmt.Errorf("stopped after %d redirects", o.MaxRedirects)
			}
			return nil
		},
	}
}
