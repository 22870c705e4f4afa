package db

import (
	"encoding/json"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// The functions below map generated rows to domain types, so that sqlc's types stay inside db.

// ToUser maps a users row.
func ToUser(u dbsqlc.User) chatcenter.User {
	restrictions := map[string]bool{}
	_ = json.Unmarshal(u.Restrictions, &restrictions)
	return chatcenter.User{
		ID: u.ID, WorkspaceID: u.WorkspaceID, Email: u.Email, Name: u.Name,
		Role: chatcenter.Role(u.Role), Availability: chatcenter.Availability(u.Availability),
		Active: u.Active, Timezone: u.Timezone, Language: u.Language, Restrictions: restrictions,
		LastSeenAt: u.LastSeenAt, AvatarFileID: u.AvatarFileID, MaxOpenConversations: u.MaxOpenConversations, CreatedAt: u.CreatedAt,
	}
}

// ToChannel maps a channels row, leaving its sealed configuration behind.
func ToChannel(c dbsqlc.Channel) chatcenter.Channel {
	return chatcenter.Channel{
		ID: c.ID, WorkspaceID: c.WorkspaceID, Type: chatcenter.ChannelType(c.Type), Name: c.Name,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

// ToContact maps a contacts row.
func ToContact(c dbsqlc.Contact) chatcenter.Contact {
	fields := map[string]any{}
	_ = json.Unmarshal(c.CustomFields, &fields)
	tags := c.Tags
	if tags == nil {
		tags = []string{}
	}
	return chatcenter.Contact{
		ID: c.ID, WorkspaceID: c.WorkspaceID, FirstName: c.FirstName, LastName: c.LastName,
		Phone: c.Phone, Email: c.Email, Language: c.Language, CountryCode: c.CountryCode,
		CustomFields: fields, Tags: tags, Lifecycle: c.Lifecycle, Blocked: c.Blocked, BotPaused: c.BotPaused,
		AssigneeID: c.AssigneeID, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

// ToIdentity maps a contact identity joined with its channel.
func ToIdentity(r dbsqlc.ContactIdentityListRow) chatcenter.ContactIdentity {
	return chatcenter.ContactIdentity{
		ChannelID: r.ChannelID, ChannelType: chatcenter.ChannelType(r.ChannelType), ChannelName: r.ChannelName,
		ExternalID: r.ExternalID, Username: r.Username, LastInboundAt: r.LastInboundAt,
	}
}

// ToConversation maps a conversations row.
func ToConversation(c dbsqlc.Conversation) chatcenter.Conversation {
	var closedSource *chatcenter.Source
	if c.ClosedSource != nil {
		s := chatcenter.Source(*c.ClosedSource)
		closedSource = &s
	}
	return chatcenter.Conversation{
		ID: c.ID, WorkspaceID: c.WorkspaceID, ContactID: c.ContactID, ChannelID: c.ChannelID,
		Status: chatcenter.ConversationStatus(c.Status), OpenedAt: c.OpenedAt,
		OpenedSource: chatcenter.Source(c.OpenedSource), OpenedBy: c.OpenedBy,
		FirstIncomingMessageID: c.FirstIncomingMessageID, FirstResponseAt: c.FirstResponseAt,
		FirstAssignedAt: c.FirstAssignedAt, LastAssignedAt: c.LastAssignedAt,
		AssigneeID: c.AssigneeID, TeamID: c.TeamID, ClosedAt: c.ClosedAt, ClosedBy: c.ClosedBy,
		ClosedSource: closedSource, Category: c.Category, Summary: c.Summary,
		IncomingCount: c.IncomingCount, OutgoingCount: c.OutgoingCount,
		LastInboundAt: c.LastInboundAt, LastActivityAt: c.LastActivityAt,
	}
}

// ToMessage maps a messages row.
func ToMessage(m dbsqlc.Message) chatcenter.Message {
	var content chatcenter.Content
	_ = json.Unmarshal(m.Content, &content)
	return chatcenter.Message{
		ID: m.ID, WorkspaceID: m.WorkspaceID, ContactID: m.ContactID, ConversationID: m.ConversationID,
		ChannelID: m.ChannelID, Direction: chatcenter.Direction(m.Direction),
		SenderKind: chatcenter.SenderKind(m.SenderKind), SenderUserID: m.SenderUserID,
		Content: content, ExternalID: m.ExternalID, Status: chatcenter.MessageStatus(m.Status),
		Error: m.Error, SentAt: m.SentAt, EditedAt: m.EditedAt, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
	}
}

// MapSlice maps every element of in with f.
func MapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
