package e2e

import (
	"fmt"
	"net/http"
	"testing"
)

// TestLoginLimitIgnoresSpoofedForwardedFor: with no trusted proxy, X-Forwarded-For does not change
// the client address, so the per-address login limit cannot be dodged by setting it.
func TestLoginLimitIgnoresSpoofedForwardedFor(t *testing.T) {
	b := setup(t)
	for i := 0; i < 50; i++ {
		b.request("POST", "/api/v1/auth/login", map[string]string{"X-Forwarded-For": fmt.Sprintf("10.9.%d.%d", i/250, i%250+1)},
			map[string]any{"email": fmt.Sprintf("nobody%d@example.com", i), "password": "wrong password"}, http.StatusUnauthorized, nil)
	}
	b.request("POST", "/api/v1/auth/login", map[string]string{"X-Forwarded-For": "10.200.0.1"},
		map[string]any{"email": "someone-else@example.com", "password": "wrong password"}, http.StatusTooManyRequests, nil)
}
