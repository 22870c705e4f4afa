package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
)

// statusOf is the one table that maps domain error codes to HTTP statuses.
var statusOf = map[string]int{
	chatcenter.EINVALID:      http.StatusBadRequest,
	chatcenter.EUNAUTHORIZED: http.StatusUnauthorized,
	chatcenter.EFORBIDDEN:    http.StatusForbidden,
	chatcenter.ENOTFOUND:     http.StatusNotFound,
	chatcenter.ECONFLICT:     http.StatusConflict,
	chatcenter.ERATELIMITED:  http.StatusTooManyRequests,
	chatcenter.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	chatcenter.EUNAVAILABLE:  http.StatusServiceUnavailable,
	chatcenter.EINTERNAL:     http.StatusInternalServerError,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// fail renders err as {"error":{"code","message"}} and stops the chain. Internal errors are logged
// with the request id and shown to clients as "Internal error".
func (s *Server) fail(c *gin.Context, err error) {
	if errors.Is(err, context.DeadlineExceeded) {
		err = chatcenter.Errorf(chatcenter.EUNAVAILABLE, "the request timed out; try again")
	}
	code := chatcenter.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		s.Log.ErrorContext(c.Request.Context(), "request failed", "request_id", c.GetString(ctxRequestID),
			"method", c.Request.Method, "path", c.FullPath(), "error", err)
	}
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: code, Message: chatcenter.ErrorMessage(err)}})
}

func invalid(format string, args ...any) error {
	return chatcenter.Errorf(chatcenter.EINVALID, format, args...)
}
