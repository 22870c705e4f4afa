package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
	"github.com/chatcenterhq/chatcenter/channels/provider"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// SendInput names a stored pending message to hand to its provider.
type SendInput struct {
	WorkspaceID int64
	MessageID   int64
}

// SendResult is the message's status after the attempt.
type SendResult struct {
	Status chatcenter.MessageStatus
	Error  string
}

// SendMessage sends a pending message through its channel and records the outcome. Permanent
// provider refusals (bot blocked, bad recipient) mark the message failed and are not retried;
// rate limits are retried after the provider's delay; other errors are retried with backoff. A
// message that is no longer pending (a retry after success) is not sent again.
func (a *Activities) SendMessage(ctx context.Context, in SendInput) (SendResult, error) {
	msg, err := a.DB.MessageGetByID(ctx, dbsqlc.MessageGetByIDParams{WorkspaceID: in.WorkspaceID, ID: in.MessageID})
	if err != nil {
		return SendResult{}, domainError(fmt.Errorf("load message %d: %w", in.MessageID, db.Error(err)))
	}
	if msg.Status != string(chatcenter.StatusPending) {
		return SendResult{Status: chatcenter.MessageStatus(msg.Status), Error: msg.Error}, nil
	}
	fail := func(reason string) (SendResult, error) {
		if _, err := a.DB.MessageMarkFailed(ctx, dbsqlc.MessageMarkFailedParams{ID: msg.ID, Error: reason}); err != nil && !db.IsNoRows(err) {
			return SendResult{}, fmt.Errorf("mark message failed: %w", err)
		}
		return SendResult{Status: chatcenter.StatusFailed, Error: reason}, nil
	}
	ch, err := a.DB.ChannelGetByID(ctx, dbsqlc.ChannelGetByIDParams{WorkspaceID: in.WorkspaceID, ID: msg.ChannelID})
	if db.IsNoRows(err) {
		return fail("the channel was deleted")
	}
	if err != nil {
		return SendResult{}, err
	}
	ident, err := a.DB.ContactIdentityForChannel(ctx, dbsqlc.ContactIdentityForChannelParams{ContactID: msg.ContactID, ChannelID: msg.ChannelID})
	if db.IsNoRows(err) {
		return fail("the contact is not reachable on this channel")
	}
	if err != nil {
		return SendResult{}, err
	}
	cfg, err := a.Box.Open(ch.ConfigEncrypted)
	if err != nil {
		return SendResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "ChannelConfig", nil)
	}
	sender, err := provider.NewSender(chatcenter.ChannelType(ch.Type), cfg, ch.ID, a.HTTP)
	if err != nil {
		return fail(err.Error())
	}
	content := db.ToMessage(msg).Content
	res, err := sender.Send(ctx, channels.OutboundMessage{
		Recipient: ident.ExternalID, Content: content, IdempotencyKey: fmt.Sprintf("message-%d", msg.ID),
	})
	var perm *channels.PermanentError
	var limited *channels.RateLimitError
	switch {
	case errors.As(err, &perm):
		return fail(perm.Reason)
	case errors.As(err, &limited):
		return SendResult{}, temporal.NewApplicationErrorWithOptions(limited.Error(), ErrTypeRateLimited,
			temporal.ApplicationErrorOptions{NextRetryDelay: limited.RetryAfter})
	case err != nil:
		return SendResult{}, fmt.Errorf("send via %s channel %d: %w", ch.Type, ch.ID, err)
	}
	err = a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		sent, err := q.MessageMarkSent(ctx, dbsqlc.MessageMarkSentParams{ID: msg.ID, ExternalID: res.ExternalID, SentAt: time.Now().UTC()})
		if db.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: in.WorkspaceID, Type: "message.updated", ContactID: sent.ContactID,
			ConversationID: derefID(sent.ConversationID), Payload: map[string]any{"message": db.ToMessage(sent)}})
	})
	if err != nil {
		return SendResult{}, fmt.Errorf("record sent message: %w", err)
	}
	return SendResult{Status: chatcenter.StatusSent}, nil
}

// MarkFailedInput marks a message failed after its sends were exhausted.
type MarkFailedInput struct {
	WorkspaceID int64
	MessageID   int64
	Reason      string
}

// MessageMarkFailed records a final send failure.
func (a *Activities) MessageMarkFailed(ctx context.Context, in MarkFailedInput) error {
	return a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		m, err := q.MessageMarkFailed(ctx, dbsqlc.MessageMarkFailedParams{ID: in.MessageID, Error: in.Reason})
		if db.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if m.WorkspaceID != in.WorkspaceID {
			return errors.New("message belongs to another workspace")
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: in.WorkspaceID, Type: "message.updated", ContactID: m.ContactID,
			ConversationID: derefID(m.ConversationID), Payload: map[string]any{"message": db.ToMessage(m)}})
	})
}

// CallbackInput names a button press to acknowledge.
type CallbackInput struct {
	WorkspaceID int64
	ChannelID   int64
	CallbackID  string
}

// AnswerCallback acknowledges a button press on channels that require it.
func (a *Activities) AnswerCallback(ctx context.Context, in CallbackInput) error {
	ch, err := a.DB.ChannelGetByID(ctx, dbsqlc.ChannelGetByIDParams{WorkspaceID: in.WorkspaceID, ID: in.ChannelID})
	if db.IsNoRows(err) {
		return nil
	}
	if err != nil {
		return err
	}
	cfg, err := a.Box.Open(ch.ConfigEncrypted)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "ChannelConfig", nil)
	}
	return provider.AnswerCallback(ctx, chatcenter.ChannelType(ch.Type), cfg, in.CallbackID, a.HTTP)
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
