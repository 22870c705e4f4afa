package httpguard

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckRefusesInternalAddresses(t *testing.T) {
	for _, s := range []string{
		"127.0.0.1", "127.10.0.1", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.1", "192.168.1.1",
		"169.254.169.254", "169.254.0.1", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
		"::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1",
	} {
		err := Check(netip.MustParseAddr(s), nil)
		require.ErrorIs(t, err, ErrForbiddenAddress, s)
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "2606:4700:4700::1111", "100.128.0.1"} {
		require.NoError(t, Check(netip.MustParseAddr(s), nil), s)
	}
	allow := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
	require.NoError(t, Check(netip.MustParseAddr("10.1.2.3"), allow))
	require.ErrorIs(t, Check(netip.MustParseAddr("10.2.0.1"), allow), ErrForbiddenAddress)
}

func TestClientRefusesLoopbackUnlessAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "internal secret")
	}))
	defer srv.Close()

	_, err := NewClient(Options{}).Get(srv.URL)
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrForbiddenAddress), "%v", err)

	// By name too: localhost resolves to loopback and is refused at dial time.
	_, err = NewClient(Options{}).Get(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1))
	require.ErrorIs(t, err, ErrForbiddenAddress)

	c := NewClient(Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, "internal secret", string(body))
}

func TestRedirectToInternalAddressIsRefused(t *testing.T) {
	// The internal server listens on another loopback address, 127.0.0.2.
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	require.NoError(t, err)
	internal := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "metadata")
	})}}
	internal.Start()
	defer internal.Close()
	// The redirecting server is allowed (as a public server would be); its target is not.
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL, http.StatusFound)
	}))
	defer redirector.Close()
	c := NewClient(Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	_, err = c.Get(redirector.URL)
	require.ErrorIs(t, err, ErrForbiddenAddress)
	// Allowing the target's address lets the same redirect through.
	c = NewClient(Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	resp, err := c.Get(redirector.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, "metadata", string(body))
}
