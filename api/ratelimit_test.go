package api

import (
	"context"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

// usersLoginContext is a login request from addr.
func usersLoginContext(addr string) (*gin.Context, *httptest.ResponseRecorder) {
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest("POST", "/api/v1/auth/login", nil)
	c.Request.RemoteAddr = addr + ":40000"
	return c, w
}

func TestUsersLoginLimitPerAccount(t *testing.T) {
	e := usersSetup(t)
	s := e.s
	c, w := usersLoginContext("203.0.113.1")
	for range loginMaxPerAccount - 1 {
		s.loginFailed(c, "Ana@Example.com")
	}
	require.NoError(t, s.loginAllowed(c, "ana@example.com"))
	s.loginFailed(c, " ana@example.com ")
	err := s.loginAllowed(c, "ANA@example.com")
	require.Equal(t, chatcenter.ERATELIMITED, chatcenter.ErrorCode(err))
	retry, convErr := strconv.Atoi(w.Header().Get("Retry-After"))
	require.NoError(t, convErr)
	require.InDelta(t, loginWindow.Seconds(), retry, 5)

	// The account is locked from everywhere; other accounts from the same address are not.
	other, _ := usersLoginContext("198.51.100.7")
	require.Error(t, s.loginAllowed(other, "ana@example.com"))
	require.NoError(t, s.loginAllowed(c, "bob@example.com"))

	// Success clears the account, not the address.
	s.loginSucceeded(c, "ana@example.com")
	require.NoError(t, s.loginAllowed(c, "ana@example.com"))
	var ipFailures int
	require.NoError(t, s.DB.Pool.QueryRow(context.Background(), "SELECT failures FROM login_failures WHERE key = 'ip:203.0.113.1'").Scan(&ipFailures))
	require.Equal(t, loginMaxPerAccount, ipFailures)

	// A window that ended starts over at one.
	for range loginMaxPerAccount {
		s.loginFailed(c, "carl@example.com")
	}
	require.Error(t, s.loginAllowed(c, "carl@example.com"))
	e.exec("UPDATE login_failures SET window_start = window_start - interval '15 minutes' WHERE key = 'email:carl@example.com'")
	require.NoError(t, s.loginAllowed(c, "carl@example.com"))
	s.loginFailed(c, "carl@example.com")
	var n int
	require.NoError(t, s.DB.Pool.QueryRow(context.Background(), "SELECT failures FROM login_failures WHERE key = 'email:carl@example.com'").Scan(&n))
	require.Equal(t, 1, n)
}

func TestUsersLoginLimitPerAddress(t *testing.T) {
	e := usersSetup(t)
	s := e.s
	c, _ := usersLoginContext("203.0.113.9")
	// Concurrent failures (as from several API processes) are all counted.
	var wg sync.WaitGroup
	for i := range loginMaxPerIP {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc, _ := usersLoginContext("203.0.113.9")
			s.loginFailed(cc, "guess"+strconv.Itoa(i)+"@example.com")
		}()
	}
	wg.Wait()
	require.Equal(t, chatcenter.ERATELIMITED, chatcenter.ErrorCode(s.loginAllowed(c, "fresh@example.com")))
	elsewhere, _ := usersLoginContext("203.0.113.10")
	require.NoError(t, s.loginAllowed(elsewhere, "fresh@example.com"))

	// Expired windows are purged as failures come in.
	e.exec("UPDATE login_failures SET window_start = window_start - interval '16 minutes'")
	s.loginFailed(elsewhere, "x@example.com")
	var n int
	require.NoError(t, s.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM login_failures").Scan(&n))
	require.Equal(t, 2, n, "only the new failure's two keys remain")
}

func TestKeyedLimiter(t *testing.T) {
	l := newKeyedLimiter(2, 3) // 2 per second, bursts of 3
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		ok, _ := l.allow(1, now)
		require.True(t, ok, "call %d of the burst", i)
	}
	ok, wait := l.allow(1, now)
	require.False(t, ok)
	require.Equal(t, 500*time.Millisecond, wait)
	// A refused call takes nothing: half a second later exactly one more fits.
	ok, _ = l.allow(1, now.Add(500*time.Millisecond))
	require.True(t, ok)
	ok, _ = l.allow(1, now.Add(500*time.Millisecond))
	require.False(t, ok)

	// Each key has its own bucket.
	ok, _ = l.allow(2, now)
	require.True(t, ok)

	// Buckets unused for keyedIdle are forgotten (they would be full again anyway).
	later := now.Add(keyedIdle + time.Second)
	ok, _ = l.allow(3, later)
	require.True(t, ok)
	require.Len(t, l.buckets, 1)
}
