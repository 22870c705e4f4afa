package chatcenter

// Role is a user's access level in a workspace.
type Role string

const (
	RoleOwner   Role = "owner"
	RoleManager Role = "manager"
	RoleAgent   Role = "agent"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleManager || r == RoleAgent }

// Availability is an agent's presence, used by assignment.
type Availability string

const (
	AvailabilityOnline  Availability = "online"
	AvailabilityAway    Availability = "away"
	AvailabilityOffline Availability = "offline"
)

// ChannelType names a messaging provider.
type ChannelType string

const (
	ChannelTelegram ChannelType = "telegram"
	ChannelCustom   ChannelType = "custom"
)

// Valid reports whether t is a channel type this build can connect.
func (t ChannelType) Valid() bool { return t == ChannelTelegram || t == ChannelCustom }

// ConversationStatus is open or closed; a contact has at most one open conversation.
type ConversationStatus string

const (
	ConversationOpen   ConversationStatus = "open"
	ConversationClosed ConversationStatus = "closed"
)

// Source says who opened or closed a conversation.
type Source string

const (
	SourceContact   Source = "contact"
	SourceUser      Source = "user"
	SourceWorkflow  Source = "workflow"
	SourceAPI       Source = "api"
	SourceBroadcast Source = "broadcast"
	SourceAutoClose Source = "auto_close"
)

// Direction of a message.
type Direction string

const (
	DirectionIncoming Direction = "incoming"
	DirectionOutgoing Direction = "outgoing"
)

// SenderKind says who wrote a message.
type SenderKind string

const (
	SenderContact   SenderKind = "contact"
	SenderUser      SenderKind = "user"
	SenderBot       SenderKind = "bot"
	SenderWorkflow  SenderKind = "workflow"
	SenderBroadcast SenderKind = "broadcast"
	SenderAPI       SenderKind = "api"
)

// MessageStatus is the delivery state of a message. Statuses only move forward:
// pending < sent < delivered < read; failed is terminal.
type MessageStatus string

const (
	StatusPending   MessageStatus = "pending"
	StatusSent      MessageStatus = "sent"
	StatusDelivered MessageStatus = "delivered"
	StatusRead      MessageStatus = "read"
	StatusFailed    MessageStatus = "failed"
)

// Rank orders statuses for monotonic updates; failed ranks highest because it is terminal.
func (s MessageStatus) Rank() int {
	switch s {
	case StatusPending:
		return 0
	case StatusSent:
		return 1
	case StatusDelivered:
		return 2
	case StatusRead:
		return 3
	case StatusFailed:
		return 4
	}
	return -1
}
