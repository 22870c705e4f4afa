package workflows

import (
	"time"

	"github.com/chatcenterhq/chatcenter"
)

// InboundSignal tells a conversation workflow that a message from its contact was stored. It
// carries references only; the message itself stays in Postgres.
type InboundSignal struct {
	MessageID   int64
	ChannelID   int64
	ChannelType chatcenter.ChannelType
	ReceivedAt  time.Time
	// CallbackID is set for button presses that the channel wants acknowledged.
	CallbackID string
}

// ConversationInput starts (or continues) a contact's conversation workflow. State is nil on the
// first run; continue-as-new carries it, along with inbound signals that were not yet handled.
type ConversationInput struct {
	WorkspaceID int64
	ContactID   int64
	State       *ConversationState
	Pending     []InboundSignal
	// Changed: the conversation was changed outside the workflow (conversation-changed signal)
	// and the previous run had not yet reloaded it.
	Changed bool
}

// ConversationState is what the workflow knows about its contact's current conversation; the
// "state" query returns it.
type ConversationState struct {
	ConversationID int64
	Status         chatcenter.ConversationStatus // "" until a conversation is opened in this run
	AssigneeID     int64
	TeamID         int64
	ChannelID      int64
	ChannelType    chatcenter.ChannelType
	LastInboundAt  time.Time
	// LastInboundByChannel keeps the last inbound time per channel id, for messaging windows.
	LastInboundByChannel map[int64]time.Time
	IncomingCount        int
	OutgoingCount        int
	// Outbox holds messages accepted for sending and not yet handed to the provider, in order.
	Outbox []OutboundJob
	// Seen remembers recently handled inbound message ids so redelivered signals are ignored.
	Seen []int64
	// AutoCloseAt is when the conversation closes by itself (auto-close) unless the contact
	// replies first; zero when no timer runs. A human agent's message sets it, the contact's
	// reply clears it.
	AutoCloseAt time.Time
}

// OutboundJob is a stored outgoing message waiting to be sent.
type OutboundJob struct {
	MessageID   int64
	ChannelType chatcenter.ChannelType
}

// SendReplyRequest is the send-reply update: an agent (or the API) sends a message.
type SendReplyRequest struct {
	ConversationID int64
	SenderKind     chatcenter.SenderKind
	SenderUserID   int64
	// ChannelID 0 means the channel the contact last wrote on.
	ChannelID      int64
	Content        chatcenter.Content
	IdempotencyKey string
}

// AssignRequest is the assign update; AssigneeID 0 with TeamID 0 is refused (use unassign).
type AssignRequest struct {
	ConversationID int64
	AssigneeID     int64
	TeamID         int64
	ActorUserID    int64
}

// UnassignRequest is the unassign update.
type UnassignRequest struct {
	ConversationID int64
	ActorUserID    int64
}

// CloseRequest is the close update, with the closing note.
type CloseRequest struct {
	ConversationID int64
	ActorUserID    int64
	Source         chatcenter.Source
	Category       string
	Summary        string
	// RunID is the flow run whose Close Conversation step asks (0 otherwise).
	RunID int64
}

// OpenRequest is the open update, sent with update-with-start when no workflow runs.
type OpenRequest struct {
	ActorUserID int64
	Source      chatcenter.Source
	// RunID is the flow run whose Open Conversation step asks (0 otherwise).
	RunID int64
}

// ConversationResult is what a finished run reports.
type ConversationResult struct {
	ConversationID int64
	Status         chatcenter.ConversationStatus
}
