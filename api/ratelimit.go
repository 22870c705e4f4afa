package api

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

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

// Incoming Webhook calls are limited per flow, in each API process: the URL is public (its
// secret is the only check), and every accepted call may create a contact and start a run.
const (
	defaultFlowHookRate  = 10 // calls per second, sustained
	defaultFlowHookBurst = 100
	// keyedIdle: a key's bucket is forgotten after this long unused (it is full again by then).
	keyedIdle = 10 * time.Minute
)

// keyedLimiter is a token bucket per key.
type keyedLimiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[int64]*keyedBucket
	pruned  time.Time
}

type keyedBucket struct {
	lim  *rate.Limiter
	used time.Time
}

func newKeyedLimiter(perSecond float64, burst int) *keyedLimiter {
	return &keyedLimiter{rate: rate.Limit(perSecond), burst: burst, buckets: map[int64]*keyedBucket{}}
}

// allow takes a token from key's bucket; when there is none it says how long until there is.
func (l *keyedLimiter) allow(key int64, now time.Time) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.pruned) > keyedIdle {
		for k, b := range l.buckets {
			if now.Sub(b.used) > keyedIdle {
				delete(l.buckets, k)
			}
		}
		l.pruned = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &keyedBucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.used = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// flowHookAllowed answers a rate_limited error (Retry-After set) when the flow's webhook is
// called faster than the limit allows.
func (s *Server) flowHookAllowed(c *gin.Context, flowID int64) error {
	ok, wait := s.hookLimits.allow(flowID, time.Now())
	if ok {
		return nil
	}
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	c.Header("Retry-After", strconv.Itoa(secs))
	return chatcenter.Errorf(chatcenter.ERATELIMITED, "this webhook accepts at most %g calls per second (bursts of %d); try again in %d second(s)",
		float64(s.hookLimits.rate), s.hookLimits.burst, secs)
}
