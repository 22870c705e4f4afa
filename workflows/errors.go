package workflows

import (
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/chatcenterhq/chatcenter"
)

// DomainError maps what a workflow update returned back to a domain error: application errors
// typed with a domain code become that *chatcenter.Error; a run that already finished means the
// conversation is no longer open. Anything else is returned unchanged.
func DomainError(err error) error {
	if err == nil {
		return nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		switch app.Type() {
		case chatcenter.EINVALID, chatcenter.ENOTFOUND, chatcenter.ECONFLICT, chatcenter.EFORBIDDEN,
			chatcenter.EUNAUTHORIZED, chatcenter.EUNAVAILABLE:
			return &chatcenter.Error{Code: app.Type(), Message: app.Message()}
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return chatcenter.Errorf(chatcenter.ECONFLICT, "the conversation is not open")
	}
	return err
}
