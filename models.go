package chatcenter

import "time"

// User is a member of a workspace.
type User struct {
	ID           int64        `json:"id"`
	WorkspaceID  int64        `json:"workspace_id"`
	Email        string       `json:"email"`
	Name         string       `json:"name"`
	Role         Role         `json:"role"`
	Availability Availability `json:"availability"`
	Active       bool         `json:"active"`
	Timezone     string       `json:"timezone"`
	Language     string       `json:"language"`
	// Restrictions narrow what a manager or agent may do (respond.io's user restrictions).
	Restrictions map[string]bool `json:"restrictions"`
	LastSeenAt   *time.Time      `json:"last_seen_at"`
	// MaxOpenConversations is the user's capacity for automatic assignment; nil uses the
	// workspace default (and no default means unlimited).
	MaxOpenConversations *int32 `json:"max_open_conversations"`
	// AvatarFileID is the profile picture, an image in the file library (GET /files/{id}/content).
	AvatarFileID *int64    `json:"avatar_file_id"`
	CreatedAt    time.Time `json:"created_at"`
}

// Channel is a connected messaging account. Its configuration holds secrets and is never part of
// this type: API responses show only what is safe.
type Channel struct {
	ID          int64       `json:"id"`
	WorkspaceID int64       `json:"workspace_id"`
	Type        ChannelType `json:"type"`
	Name        string      `json:"name"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// Contact is a customer.
type Contact struct {
	ID           int64             `json:"id"`
	WorkspaceID  int64             `json:"workspace_id"`
	FirstName    string            `json:"first_name"`
	LastName     string            `json:"last_name"`
	Phone        *string           `json:"phone"`
	Email        *string           `json:"email"`
	Language     string            `json:"language"`
	CountryCode  string            `json:"country_code"`
	CustomFields map[string]any    `json:"custom_fields"`
	Tags         []string          `json:"tags"`
	Lifecycle    string            `json:"lifecycle"`
	Blocked      bool              `json:"blocked"`
	BotPaused    bool              `json:"bot_paused"`
	AssigneeID   *int64            `json:"assignee_id"`
	Identities   []ContactIdentity `json:"identities,omitempty"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// ContactIdentity is how a contact is known on one channel.
type ContactIdentity struct {
	ChannelID     int64       `json:"channel_id"`
	ChannelType   ChannelType `json:"channel_type"`
	ChannelName   string      `json:"channel_name"`
	ExternalID    string      `json:"external_id"`
	Username      string      `json:"username,omitempty"`
	LastInboundAt *time.Time  `json:"last_inbound_at"`
}

// Conversation is one interaction with a contact from opening to closing.
type Conversation struct {
	ID                     int64              `json:"id"`
	WorkspaceID            int64              `json:"workspace_id"`
	ContactID              int64              `json:"contact_id"`
	ChannelID              *int64             `json:"channel_id"`
	Status                 ConversationStatus `json:"status"`
	OpenedAt               time.Time          `json:"opened_at"`
	OpenedSource           Source             `json:"opened_source"`
	OpenedBy               *int64             `json:"opened_by"`
	FirstIncomingMessageID *int64             `json:"first_incoming_message_id"`
	FirstResponseAt        *time.Time         `json:"first_response_at"`
	FirstAssignedAt        *time.Time         `json:"first_assigned_at"`
	LastAssignedAt         *time.Time         `json:"last_assigned_at"`
	AssigneeID             *int64             `json:"assignee_id"`
	TeamID                 *int64             `json:"team_id"`
	ClosedAt               *time.Time         `json:"closed_at"`
	ClosedBy               *int64             `json:"closed_by"`
	ClosedSource           *Source            `json:"closed_source"`
	Category               *string            `json:"category"`
	Summary                *string            `json:"summary"`
	IncomingCount          int32              `json:"incoming_count"`
	OutgoingCount          int32              `json:"outgoing_count"`
	LastInboundAt          *time.Time         `json:"last_inbound_at"`
	LastActivityAt         time.Time          `json:"last_activity_at"`
}

// Message is one message in or out.
type Message struct {
	ID             int64         `json:"id"`
	WorkspaceID    int64         `json:"workspace_id"`
	ContactID      int64         `json:"contact_id"`
	ConversationID *int64        `json:"conversation_id"`
	ChannelID      int64         `json:"channel_id"`
	Direction      Direction     `json:"direction"`
	SenderKind     SenderKind    `json:"sender_kind"`
	SenderUserID   *int64        `json:"sender_user_id"`
	Content        Content       `json:"content"`
	ExternalID     *string       `json:"external_id"`
	Status         MessageStatus `json:"status"`
	Error          string        `json:"error,omitempty"`
	SentAt         *time.Time    `json:"sent_at"`
	EditedAt       *time.Time    `json:"edited_at"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
}
