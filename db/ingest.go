package db

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// InboundSender is the contact as a channel describes it.
type InboundSender struct {
	ExternalID string
	FirstName  string
	LastName   string
	Username   string
	Phone      string
	Language   string
}

// InboundMessage is a parsed inbound message ready to persist.
type InboundMessage struct {
	WorkspaceID int64
	ChannelID   int64
	Sender      InboundSender
	ExternalID  string
	Content     chatcenter.Content
	SentAt      time.Time
}

// InboundResult says what IngestInbound stored.
type InboundResult struct {
	ContactID int64
	MessageID int64
	// Duplicate is true when the provider delivered a message that was already stored.
	Duplicate bool
}

// IngestKnownSender is the webhook's hot path: in one statement it checks that the channel
// exists with this webhook secret hash and knows the sender, and stores the message once. ok is
// false when any of that does not hold; the caller then verifies the request and calls
// IngestInbound.
func (d *DB) IngestKnownSender(ctx context.Context, channelType string, secretHash []byte, in InboundMessage) (res InboundResult, workspaceID int64, ok bool, err error) {
	content, err := json.Marshal(in.Content)
	if err != nil {
		return res, 0, false, fmt.Errorf("encode content: %w", err)
	}
	var sentAt *time.Time
	if !in.SentAt.IsZero() {
		sentAt = &in.SentAt
	}
	row, err := d.MessageIngestFromKnownSender(ctx, dbsqlc.MessageIngestFromKnownSenderParams{
		ChannelID: in.ChannelID, ChannelType: channelType, WebhookSecretHash: secretHash, At: time.Now().UTC(),
		Username: in.Sender.Username, SenderExternalID: in.Sender.ExternalID, Content: content,
		ContentType: in.Content.Type, ExternalID: in.ExternalID, SentAt: sentAt,
	})
	if IsNoRows(err) {
		return res, 0, false, nil
	}
	if err != nil {
		return res, 0, false, fmt.Errorf("ingest message: %w", err)
	}
	if row.MessageID != nil {
		return InboundResult{ContactID: row.ContactID, MessageID: *row.MessageID}, row.WorkspaceID, true, nil
	}
	existing, err := d.MessageGetByExternalID(ctx, dbsqlc.MessageGetByExternalIDParams{ChannelID: in.ChannelID, ExternalID: in.ExternalID})
	if err != nil {
		return res, 0, false, fmt.Errorf("read duplicate message: %w", err)
	}
	return InboundResult{ContactID: existing.ContactID, MessageID: existing.ID, Duplicate: true}, row.WorkspaceID, true, nil
}

// IngestInbound persists one inbound message in one transaction: the contact and its channel
// identity are found or created, and the message is inserted once per (channel, external id).
// The caller has verified the request.
func (d *DB) IngestInbound(ctx context.Context, in InboundMessage) (InboundResult, error) {
	var res InboundResult
	content, err := json.Marshal(in.Content)
	if err != nil {
		return res, fmt.Errorf("encode content: %w", err)
	}
	var sentAt *time.Time
	if !in.SentAt.IsZero() {
		sentAt = &in.SentAt
	}
	err = d.WithTx(ctx, func(q *dbsqlc.Queries) error {
		contactID, err := upsertContact(ctx, q, in)
		if err != nil {
			return err
		}
		res.ContactID = contactID
		msg, err := q.MessageInsertInbound(ctx, dbsqlc.MessageInsertInboundParams{
			WorkspaceID: in.WorkspaceID, ContactID: contactID, ChannelID: in.ChannelID, Content: content,
			ContentType: in.Content.Type, ExternalID: in.ExternalID, SentAt: sentAt,
		})
		if IsNoRows(err) {
			existing, err := q.MessageGetByExternalID(ctx, dbsqlc.MessageGetByExternalIDParams{ChannelID: in.ChannelID, ExternalID: in.ExternalID})
			if err != nil {
				return fmt.Errorf("read duplicate message: %w", err)
			}
			res.MessageID, res.Duplicate = existing.ID, true
			return nil
		}
		if err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		res.MessageID = msg.ID
		return InsertEvent(ctx, q, Event{
			WorkspaceID: in.WorkspaceID, Type: "message.created", ContactID: contactID,
			Payload: map[string]any{"message_id": msg.ID, "channel_id": in.ChannelID, "direction": "incoming"},
		})
	})
	return res, err
}

// upsertContact finds the contact behind a channel identity, creating both when new. A known
// identity costs one statement; only a new one takes the per-identity lock.
func upsertContact(ctx context.Context, q *dbsqlc.Queries, in InboundMessage) (int64, error) {
	now := time.Now().UTC()
	touch := dbsqlc.ContactIdentityTouchParams{ChannelID: in.ChannelID, ExternalID: in.Sender.ExternalID, At: now, Username: in.Sender.Username}
	if contactID, err := q.ContactIdentityTouch(ctx, touch); err == nil {
		return contactID, nil
	} else if !IsNoRows(err) {
		return 0, fmt.Errorf("touch identity: %w", err)
	}
	// Two deliveries from a new contact arrive together more often than one would think (a photo
	// album, a provider retry): serialise them so the contact is created once.
	if err := q.AdvisoryXactLock(ctx, LockKey("identity", in.ChannelID, in.Sender.ExternalID)); err != nil {
		return 0, err
	}
	if contactID, err := q.ContactIdentityTouch(ctx, touch); err == nil {
		return contactID, nil
	} else if !IsNoRows(err) {
		return 0, fmt.Errorf("touch identity: %w", err)
	}
	var contactID int64
	var phone *string
	if in.Sender.Phone != "" {
		phone = &in.Sender.Phone
		// The same phone number on another channel is the same person: one contact, two identities.
		if c, err := q.ContactGetByPhone(ctx, dbsqlc.ContactGetByPhoneParams{WorkspaceID: in.WorkspaceID, Phone: in.Sender.Phone}); err == nil {
			contactID = c.ID
		} else if !IsNoRows(err) {
			return 0, fmt.Errorf("look up contact by phone: %w", err)
		}
	}
	if contactID == 0 {
		c, err := q.ContactInsert(ctx, dbsqlc.ContactInsertParams{
			WorkspaceID: in.WorkspaceID, FirstName: in.Sender.FirstName, LastName: in.Sender.LastName,
			Phone: phone, Language: in.Sender.Language,
		})
		if err != nil {
			return 0, fmt.Errorf("insert contact: %w", err)
		}
		contactID = c.ID
		if err := InsertEvent(ctx, q, Event{WorkspaceID: in.WorkspaceID, Type: "contact.created", ContactID: contactID,
			Payload: map[string]any{"contact": ToContact(c)}}); err != nil {
			return 0, err
		}
	}
	if _, err := q.ContactIdentityInsert(ctx, dbsqlc.ContactIdentityInsertParams{
		WorkspaceID: in.WorkspaceID, ContactID: contactID, ChannelID: in.ChannelID,
		ExternalID: in.Sender.ExternalID, Username: in.Sender.Username, LastInboundAt: &now,
	}); err != nil {
		return 0, fmt.Errorf("insert identity: %w", err)
	}
	return contactID, nil
}

// IngestEdit replaces the content of a stored inbound message. An edit of a message we never
// stored (sent before the channel was connected) is ignored.
func (d *DB) IngestEdit(ctx context.Context, workspaceID, channelID int64, externalID string, content chatcenter.Content, editedAt time.Time) error {
	body, err := json.Marshal(content)
	if err != nil {
		return err
	}
	if editedAt.IsZero() {
		editedAt = time.Now().UTC()
	}
	return d.WithTx(ctx, func(q *dbsqlc.Queries) error {
		msg, err := q.MessageUpdateContent(ctx, dbsqlc.MessageUpdateContentParams{
			ChannelID: channelID, ExternalID: externalID, Content: body, ContentType: content.Type, EditedAt: editedAt,
		})
		if IsNoRows(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("update message content: %w", err)
		}
		return InsertEvent(ctx, q, Event{WorkspaceID: workspaceID, Type: "message.updated", ContactID: msg.ContactID,
			ConversationID: deref(msg.ConversationID), Payload: map[string]any{"message": ToMessage(msg)}})
	})
}

// IngestStatus applies a provider delivery report; stale or duplicate reports change nothing.
func (d *DB) IngestStatus(ctx context.Context, workspaceID, channelID int64, externalID string, status chatcenter.MessageStatus, reason string) error {
	return d.WithTx(ctx, func(q *dbsqlc.Queries) error {
		msg, err := q.MessageUpdateStatus(ctx, dbsqlc.MessageUpdateStatusParams{
			ChannelID: channelID, ExternalID: externalID, Status: string(status), Error: reason,
		})
		if IsNoRows(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("update message status: %w", err)
		}
		return InsertEvent(ctx, q, Event{WorkspaceID: workspaceID, Type: "message.updated", ContactID: msg.ContactID,
			ConversationID: deref(msg.ConversationID), Payload: map[string]any{"message": ToMessage(msg)}})
	})
}

// Event is a row for the events outbox.
type Event struct {
	WorkspaceID    int64
	Type           string
	ContactID      int64
	ConversationID int64
	ActorUserID    int64
	Payload        map[string]any
}

// InsertEvent writes an outbox event inside the caller's transaction.
func InsertEvent(ctx context.Context, q *dbsqlc.Queries, e Event) error {
	payload, err := json.Marshal(e.Payload)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	_, err = q.EventInsert(ctx, dbsqlc.EventInsertParams{
		WorkspaceID: e.WorkspaceID, Type: e.Type, ContactID: ptr(e.ContactID),
		ConversationID: ptr(e.ConversationID), ActorUserID: ptr(e.ActorUserID), Payload: payload,
	})
	if err != nil {
		return fmt.Errorf("insert event %s: %w", e.Type, err)
	}
	return nil
}

// LockKey derives an advisory-lock key from its parts.
func LockKey(parts ...any) int64 {
	h := fnv.New64a()
	fmt.Fprint(h, parts...)
	return int64(h.Sum64())
}

func ptr(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
