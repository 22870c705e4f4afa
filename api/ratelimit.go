package api

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// Login rate limits: failed logins are counted per account and per client address in a fixed
// window, in Postgres so that every API process sees the same counts. Past a limit, logins for
// that account (or from that address) are refused with 429 until the window ends, even with the
// right password: that is what stops password guessing.
const (
	loginWindow        = 15 * time.Minute
	loginMaxPerAccount = 10
	loginMaxPerIP      = 50
)

func loginAccountKey(email string) string {
	return "email:" + strings.ToLower(strings.TrimSpace(email))
}

// loginIPKey uses gin's client address. Gin believes X-Forwarded-For from the proxies the engine
// trusts, which is every proxy unless configured: then a client can choose its address and escape
// the per-address limit (the per-account limit still holds).
func loginIPKey(c *gin.Context) string { return "ip:" + c.ClientIP() }

// loginAllowed answers a rate_limited error (with Retry-After set) when the account or the client
// address has too many recent failures. Call it before checking the password.
func (s *Server) loginAllowed(c *gin.Context, email string) error {
	account, ip := loginAccountKey(email), loginIPKey(c)
	rows, err := s.DB.LoginFailureCounts(c.Request.Context(), dbsqlc.LoginFailureCountsParams{
		Keys: []string{account, ip}, WindowSeconds: loginWindow.Seconds(),
	})
	if err != nil {
		return err
	}
	var until time.Time
	for _, r := range rows {
		limit := loginMaxPerIP
		if r.Key == account {
			limit = loginMaxPerAccount
		}
		if end := r.WindowStart.Add(loginWindow); int(r.Failures) >= limit && end.After(until) {
			until = end
		}
	}
	if until.IsZero() {
		return nil
	}
	wait := int(math.Ceil(time.Until(until).Seconds()))
	wait = max(wait, 1)
	c.Header("Retry-After", strconv.Itoa(wait))
	return chatcenter.Errorf(chatcenter.ERATELIMITED, "too many failed logins; try again in %d minute(s)", (wait+59)/60)
}

// loginFailed counts a failed login against the account and the client address. Counting is best
// effort: a database error is logged, and the login still answers 401.
func (s *Server) loginFailed(c *gin.Context, email string) {
	ctx := c.Request.Context()
	err := s.DB.LoginFailureRecord(ctx, dbsqlc.LoginFailureRecordParams{
		Keys: []string{loginAccountKey(email), loginIPKey(c)}, WindowSeconds: loginWindow.Seconds(),
	})
	if err == nil {
		// Windows that ended are no use to anyone; failures are when the table grows.
		_, err = s.DB.LoginFailureDeleteExpired(ctx, loginWindow.Seconds())
	}
	if err != nil {
		s.Log.WarnContext(ctx, "failed login not counted", "error", err, "request_id", c.GetString(ctxRequestID))
	}
}

// loginSucceeded clears the account's failures (the address keeps its count: one good password
// does not excuse guessing at other accounts).
func (s *Server) loginSucceeded(c *gin.Context, email string) {
	if err := s.DB.LoginFailureClear(c.Request.Context(), loginAccountKey(email)); err != nil {
		s.Log.WarnContext(c.Request.Context(), "failed logins not cleared", "error", err, "request_id", c.GetString(ctxRequestID))
	}
}
