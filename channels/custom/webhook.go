package custom

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
)

// e164RE matches an E.164 number; contact ids that are phone numbers double as the contact's phone.
var e164RE = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

type payload struct {
	ChannelID string   `json:"channelId"`
	ContactID string   `json:"contactId"`
	Contact   *contact `json:"contact"`
	Events    []event  `json:"events"`
}

type contact struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Phone     string `json:"phone"`
	Email     string `json:"email"`
	Language  string `json:"language"`
}

type event struct {
	Type string `json:"type"`
	MID  string `json:"mId"`
	// Timestamp is a json.Number so that integrations sending 1662965848000.0 are not rejected.
	Timestamp json.Number `json:"timestamp"`
	Message   *message    `json:"message"`
	Status    string      `json:"status"`
	Error     string      `json:"error"`
}

type message struct {
	Type       string      `json:"type"`
	Text       string      `json:"text"`
	Attachment *attachment `json:"attachment"`
	Latitude   *float64    `json:"latitude"`
	Longitude  *float64    `json:"longitude"`
	Address    string      `json:"address"`
	Postback   *postback   `json:"postback"`
}

// postback is a press of a button we sent: the button's payload, and its title if the
// integration knows it.
type postback struct {
	Payload string `json:"payload"`
	Title   string `json:"title"`
}

type attachment struct {
	Type        string `json:"type"`
	URL         string `json:"url"`
	FileName    string `json:"fileName"`
	MimeType    string `json:"mimeType"`
	Description string `json:"description"`
}

// Parse turns one webhook body into neutral events. The body comes from the customer's own
// integration, so mistakes that would lose data (no contactId, an event without mId, an unknown
// status) are reported as channels.ErrMalformed for the developer to fix, while event types we do
// not know are skipped so that newer integrations keep working.
func Parse(body []byte) ([]channels.InboundEvent, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("custom channel webhook: %v: %w", err, channels.ErrMalformed)
	}
	contactID := strings.TrimSpace(p.ContactID)
	if contactID == "" {
		return nil, fmt.Errorf("custom channel webhook: contactId is required: %w", channels.ErrMalformed)
	}
	sender := channels.Sender{ExternalID: contactID}
	if e164RE.MatchString(contactID) {
		sender.Phone = contactID
	}
	if c := p.Contact; c != nil {
		sender.FirstName, sender.LastName, sender.Language = c.FirstName, c.LastName, c.Language
		if sender.Phone == "" && e164RE.MatchString(c.Phone) {
			sender.Phone = c.Phone
		}
	}

	var events []channels.InboundEvent
	for i, e := range p.Events {
		switch e.Type {
		case "message":
			if e.MID == "" {
				return nil, fmt.Errorf("custom channel webhook: events[%d].mId is required: %w", i, channels.ErrMalformed)
			}
			if e.Message == nil {
				return nil, fmt.Errorf("custom channel webhook: events[%d].message is required: %w", i, channels.ErrMalformed)
			}
			events = append(events, channels.InboundEvent{
				Kind:       channels.InboundMessage,
				ExternalID: e.MID,
				Sender:     sender,
				Content:    content(e.Message),
				SentAt:     msTime(e.Timestamp),
			})
		case "message_status":
			if e.MID == "" {
				return nil, fmt.Errorf("custom channel webhook: events[%d].mId is required: %w", i, channels.ErrMalformed)
			}
			st, ok := statuses[strings.ToLower(e.Status)]
			if !ok {
				return nil, fmt.Errorf("custom channel webhook: events[%d].status %q is not one of sent, delivered, read, failed: %w",
					i, e.Status, channels.ErrMalformed)
			}
			events = append(events, channels.InboundEvent{
				Kind:       channels.InboundStatus,
				ExternalID: e.MID,
				Sender:     sender,
				SentAt:     msTime(e.Timestamp),
				Status:     st,
				Error:      e.Error,
			})
		}
	}
	return events, nil
}

// statuses maps the protocol's status words (respond.io capitalises them in its docs, hence the
// lower-casing before lookup) to ours.
var statuses = map[string]chatcenter.MessageStatus{
	"sent":      chatcenter.StatusSent,
	"delivered": chatcenter.StatusDelivered,
	"read":      chatcenter.StatusRead,
	"failed":    chatcenter.StatusFailed,
}

// msTime converts a millisecond timestamp; a missing or nonsensical one becomes the zero time
// rather than a misleading date, leaving the caller to pick a fallback such as the receive time.
func msTime(n json.Number) time.Time {
	if n == "" {
		return time.Time{}
	}
	if ms, err := n.Int64(); err == nil {
		if ms <= 0 {
			return time.Time{}
		}
		return time.UnixMilli(ms).UTC()
	}
	f, err := n.Float64()
	// Beyond ±2^62 ms the conversion to int64 would overflow; no real timestamp is near that.
	if err != nil || f <= 0 || f > math.MaxInt64/2 {
		return time.Time{}
	}
	return time.UnixMilli(int64(f)).UTC()
}

func content(m *message) chatcenter.Content {
	switch m.Type {
	case "text":
		return chatcenter.Content{Type: chatcenter.ContentText, Text: m.Text}
	case "attachment":
		a := m.Attachment
		if a == nil || a.URL == "" {
			break
		}
		switch a.Type {
		case chatcenter.AttachmentImage, chatcenter.AttachmentVideo, chatcenter.AttachmentAudio, chatcenter.AttachmentFile:
			return chatcenter.Content{Type: chatcenter.ContentAttachment, Attachment: &chatcenter.Attachment{
				Type: a.Type, URL: a.URL, FileName: a.FileName, MimeType: a.MimeType, Caption: a.Description,
			}}
		}
	case "location":
		if m.Latitude == nil || m.Longitude == nil ||
			math.Abs(*m.Latitude) > 90 || math.Abs(*m.Longitude) > 180 {
			break
		}
		return chatcenter.Content{Type: chatcenter.ContentLocation, Location: &chatcenter.Location{
			Latitude: *m.Latitude, Longitude: *m.Longitude, Address: m.Address,
		}}
	case "postback":
		if m.Postback == nil || m.Postback.Payload == "" {
			break
		}
		return chatcenter.Content{Type: chatcenter.ContentPostback, Postback: &chatcenter.Postback{
			Payload: m.Postback.Payload, Title: m.Postback.Title,
		}}
	}
	// Kept as an unsupported message rather than dropped, so the agent sees that something came in.
	return chatcenter.Content{Type: chatcenter.ContentUnsupported}
}
