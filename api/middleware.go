package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/secret"
)

const (
	ctxRequestID = "request_id"
	ctxUser      = "user"
)

// requestID tags every request with an id (the caller's X-Request-Id when sane) for logs.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = secret.RandomToken(9)
		}
		c.Set(ctxRequestID, id)
		c.Header("X-Request-Id", id)
		c.Next()
	}
}

// accessLog logs one line per request, never bodies or headers (they carry tokens).
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		s.Log.DebugContext(c.Request.Context(), "http", "method", c.Request.Method, "path", c.FullPath(),
			"status", c.Writer.Status(), "duration_ms", time.Since(start).Milliseconds(), "request_id", c.GetString(ctxRequestID))
	}
}

// recovery turns a panic into a 500 with the standard error body.
func (s *Server) recovery() gin.HandlerFunc {
	return gin.CustomRecovery(func(c *gin.Context, err any) {
		s.Log.Error("panic", "error", err, "path", c.FullPath(), "request_id", c.GetString(ctxRequestID))
		c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{Error: errorDetail{Code: chatcenter.EINTERNAL, Message: "Internal error"}})
	})
}

// authenticate resolves the bearer token to an active user, or answers 401.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		if len(h) < 8 || !strings.EqualFold(h[:7], "bearer ") {
			s.fail(c, chatcenter.Errorf(chatcenter.EUNAUTHORIZED, "missing bearer token"))
			return
		}
		row, err := s.DB.SessionGetUser(c.Request.Context(), secret.HashToken(strings.TrimSpace(h[7:])))
		if db.IsNoRows(err) {
			s.fail(c, chatcenter.Errorf(chatcenter.EUNAUTHORIZED, "invalid or expired token"))
			return
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		u := db.ToUser(row)
		c.Set(ctxUser, &u)
		c.Next()
	}
}

func currentUser(c *gin.Context) *chatcenter.User {
	return c.MustGet(ctxUser).(*chatcenter.User)
}
