package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// RedeliverInput selects the inbound messages to signal again: stored before Before and still not
// attached to a conversation, at most Limit of them, oldest first.
type RedeliverInput struct {
	Before time.Time
	Limit  int
}

// InboundRef names a stored inbound message for its contact's conversation workflow.
type InboundRef struct {
	WorkspaceID int64
	ContactID   int64
	ChannelID   int64
	ChannelType chatcenter.ChannelType
	MessageID   int64
	ReceivedAt  time.Time
}

// InboundRedeliver signals each selected message to its contact's conversation workflow (through
// the Engine) and returns how many it signalled. A message whose signal fails stays unattached,
// and the next sweep tries it again.
func (a *Activities) InboundRedeliver(ctx context.Context, in RedeliverInput) (int, error) {
	ctx, done := attempt(ctx)
	defer done()
	if a.Engine == nil {
		return 0, nil
	}
	rows, err := a.DB.MessageListUnattachedInbound(ctx, dbsqlc.MessageListUnattachedInboundParams{
		Before: in.Before, MaxRows: int32(in.Limit),
	})
	if err != nil {
		return 0, fmt.Errorf("list unattached inbound messages: %w", err)
	}
	n := 0
	for _, r := range rows {
		ref := InboundRef{
			WorkspaceID: r.WorkspaceID, ContactID: r.ContactID, ChannelID: r.ChannelID,
			ChannelType: chatcenter.ChannelType(r.ChannelType), MessageID: r.ID, ReceivedAt: r.ReceivedAt.UTC(),
		}
		if err := a.Engine.Redeliver(ctx, ref); err != nil {
			return n, fmt.Errorf("signal message %d: %w", r.ID, err)
		}
		n++
	}
	if n > 0 {
		a.Log.WarnContext(ctx, "redelivered inbound messages whose conversation workflow had not taken them", "count", n)
	}
	return n, nil
}
