package telegram

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
)

// SecretTokenHeader is the header in which Telegram echoes the secret_token given to setWebhook.
const SecretTokenHeader = "X-Telegram-Bot-Api-Secret-Token"

// VerifyRequest checks that a webhook call carries our secret token, the only proof Telegram
// offers that a request came from it (there is no body signature). A missing or wrong header, or
// an empty expected secret (a misconfigured channel must not accept anyone), yields
// channels.ErrUnauthorized.
func VerifyRequest(h http.Header, secret string) error {
	got := h.Get(SecretTokenHeader)
	if secret == "" || got == "" {
		return channels.ErrUnauthorized
	}
	// Comparing fixed-size digests keeps the comparison constant-time even in the length of the
	// secret, which subtle.ConstantTimeCompare alone would leak.
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return channels.ErrUnauthorized
	}
	return nil
}

// The wire types below decode only what we use; encoding/json ignores everything else, which is
// how unknown fields are tolerated. Optional objects are pointers so that "absent" is visible.

type update struct {
	UpdateID      *int64         `json:"update_id"`
	Message       *message       `json:"message"`
	EditedMessage *message       `json:"edited_message"`
	CallbackQuery *callbackQuery `json:"callback_query"`
}

type user struct {
	ID           int64  `json:"id"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Username     string `json:"username"`
	LanguageCode string `json:"language_code"`
}

type chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
}

type message struct {
	MessageID int64       `json:"message_id"`
	From      *user       `json:"from"`
	Chat      *chat       `json:"chat"`
	Date      int64       `json:"date"`
	Text      string      `json:"text"`
	Caption   string      `json:"caption"`
	Photo     []photoSize `json:"photo"`
	Voice     *media      `json:"voice"`
	Audio     *media      `json:"audio"`
	Document  *media      `json:"document"`
	Video     *media      `json:"video"`
	VideoNote *media      `json:"video_note"`
	Sticker   *sticker    `json:"sticker"`
	Location  *location   `json:"location"`
	Venue     *venue      `json:"venue"`
	Contact   *contact    `json:"contact"`
	// ReplyMarkup is the inline keyboard under a message; a callback query carries the message
	// its button sits on, keyboard included.
	ReplyMarkup *replyMarkup `json:"reply_markup"`
}

type replyMarkup struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

type photoSize struct {
	FileID   string `json:"file_id"`
	FileSize int64  `json:"file_size"`
	Width    int64  `json:"width"`
	Height   int64  `json:"height"`
}

// media covers voice, audio, document, video and video_note, which share these fields.
type media struct {
	FileID   string `json:"file_id"`
	FileName string `json:"file_name"`
	MimeType string `json:"mime_type"`
	FileSize int64  `json:"file_size"`
	Duration int    `json:"duration"`
}

type sticker struct {
	FileID     string `json:"file_id"`
	FileSize   int64  `json:"file_size"`
	IsAnimated bool   `json:"is_animated"`
	IsVideo    bool   `json:"is_video"`
}

type location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

type venue struct {
	Location *location `json:"location"`
	Title    string    `json:"title"`
	Address  string    `json:"address"`
}

type contact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
}

type callbackQuery struct {
	ID      string   `json:"id"`
	From    *user    `json:"from"`
	Message *message `json:"message"`
	Data    string   `json:"data"`
}

// Parse turns one Update JSON body into neutral events. A body that is not JSON, or has no
// update_id, wraps channels.ErrMalformed. Updates we do not handle (group and channel traffic,
// inline queries, membership changes, ...) and updates missing what we need to attribute them
// (a chat, a message id, a sender) yield no events and no error, so that the webhook answers 200
// and Telegram does not redeliver something we will never use.
func Parse(body []byte) ([]channels.InboundEvent, error) {
	var u update
	if err := json.Unmarshal(body, &u); err != nil {
		return nil, fmt.Errorf("telegram update: %v: %w", err, channels.ErrMalformed)
	}
	if u.UpdateID == nil {
		return nil, fmt.Errorf("telegram update: update_id is missing: %w", channels.ErrMalformed)
	}
	var ev *channels.InboundEvent
	switch {
	case u.Message != nil:
		ev = messageEvent(u.Message, channels.InboundMessage)
	case u.EditedMessage != nil:
		ev = messageEvent(u.EditedMessage, channels.InboundEdit)
	case u.CallbackQuery != nil:
		ev = callbackEvent(u.CallbackQuery)
	}
	if ev == nil {
		return nil, nil
	}
	return []channels.InboundEvent{*ev}, nil
}

// isPrivate reports whether c is a one-to-one chat with the user. Old payloads omit chat.type; in
// a private chat the chat id is the user's id, which is what we fall back to.
func isPrivate(c *chat, from *user) bool {
	if c.Type != "" {
		return c.Type == "private"
	}
	return from != nil && from.ID != 0 && c.ID == from.ID
}

func messageEvent(m *message, kind channels.InboundKind) *channels.InboundEvent {
	if m.Chat == nil || m.Chat.ID == 0 || m.MessageID <= 0 || !isPrivate(m.Chat, m.From) {
		return nil
	}
	chatID := strconv.FormatInt(m.Chat.ID, 10)
	s := channels.Sender{ExternalID: chatID}
	if m.From != nil {
		s.FirstName, s.LastName, s.Username = m.From.FirstName, m.From.LastName, m.From.Username
		s.Language = m.From.LanguageCode
	} else {
		// A private chat carries the user's names too; better than an anonymous contact.
		s.FirstName, s.LastName, s.Username = m.Chat.FirstName, m.Chat.LastName, m.Chat.Username
	}
	return &channels.InboundEvent{
		Kind: kind,
		// message_id is unique per chat only, so the chat id is part of the key. An edit keeps the
		// original message_id and therefore addresses the message it replaces.
		ExternalID: chatID + ":" + strconv.FormatInt(m.MessageID, 10),
		Sender:     s,
		Content:    content(m),
		SentAt:     unixTime(m.Date),
	}
}

func callbackEvent(q *callbackQuery) *channels.InboundEvent {
	if q.ID == "" || q.From == nil || q.From.ID == 0 {
		return nil
	}
	// A button pressed in a group belongs to the group, not to a conversation with this user.
	if q.Message != nil && q.Message.Chat != nil && !isPrivate(q.Message.Chat, q.From) {
		return nil
	}
	var sentAt time.Time
	if q.Message != nil {
		// The update has no timestamp of its own; the message the button sits on is the best
		// deterministic stand-in (inline-mode queries have none, hence the zero time).
		sentAt = unixTime(q.Message.Date)
	}
	return &channels.InboundEvent{
		Kind:       channels.InboundMessage,
		ExternalID: "cbq:" + q.ID,
		Sender: channels.Sender{
			ExternalID: strconv.FormatInt(q.From.ID, 10),
			FirstName:  q.From.FirstName,
			LastName:   q.From.LastName,
			Username:   q.From.Username,
			Language:   q.From.LanguageCode,
		},
		Content: chatcenter.Content{
			Type:     chatcenter.ContentPostback,
			Postback: &chatcenter.Postback{Payload: q.Data, Title: buttonTitle(q.Message, q.Data)},
		},
		SentAt:     sentAt,
		CallbackID: q.ID,
	}
}

// buttonTitle finds the title of the pressed button in the keyboard of the message it sits on, so
// the conversation shows what the contact chose rather than the payload. Inline-mode queries
// carry no message, and then the title is unknown.
func buttonTitle(m *message, data string) string {
	if m == nil || m.ReplyMarkup == nil {
		return ""
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == data {
				return b.Text
			}
		}
	}
	return ""
}

// unixTime maps a missing date to the zero time rather than to 1970.
func unixTime(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

func content(m *message) chatcenter.Content {
	attach := func(a chatcenter.Attachment) chatcenter.Content {
		a.Caption = m.Caption
		return chatcenter.Content{Type: chatcenter.ContentAttachment, Attachment: &a}
	}
	fromMedia := func(kind string, md *media) chatcenter.Content {
		return attach(chatcenter.Attachment{
			Type:           kind,
			ProviderFileID: md.FileID,
			MimeType:       md.MimeType,
			FileName:       md.FileName,
			Size:           md.FileSize,
			Duration:       md.Duration,
		})
	}
	switch {
	case m.Text != "":
		return chatcenter.Content{Type: chatcenter.ContentText, Text: m.Text}
	case len(m.Photo) > 0:
		p := largestPhoto(m.Photo)
		return attach(chatcenter.Attachment{
			Type:           chatcenter.AttachmentImage,
			ProviderFileID: p.FileID,
			Size:           p.FileSize,
		})
	case m.Voice != nil:
		return fromMedia(chatcenter.AttachmentVoice, m.Voice)
	case m.Audio != nil:
		return fromMedia(chatcenter.AttachmentAudio, m.Audio)
	case m.Video != nil:
		return fromMedia(chatcenter.AttachmentVideo, m.Video)
	case m.VideoNote != nil:
		// Round video messages are videos to an agent; Telegram does not give them a MIME type.
		md := *m.VideoNote
		if md.MimeType == "" {
			md.MimeType = "video/mp4"
		}
		return fromMedia(chatcenter.AttachmentVideo, &md)
	case m.Document != nil:
		// Animations (GIFs) arrive with a document alongside the animation object, so they land
		// here as files, which is how an agent can open them.
		return fromMedia(chatcenter.AttachmentFile, m.Document)
	case m.Sticker != nil:
		mime := "image/webp"
		switch {
		case m.Sticker.IsAnimated:
			mime = "application/x-tgsticker"
		case m.Sticker.IsVideo:
			mime = "video/webm"
		}
		return attach(chatcenter.Attachment{
			Type:           chatcenter.AttachmentSticker,
			ProviderFileID: m.Sticker.FileID,
			MimeType:       mime,
			Size:           m.Sticker.FileSize,
		})
	case m.Venue != nil && (m.Venue.Location != nil || m.Location != nil):
		// A venue message carries the point twice (venue.location and location); either will do.
		loc := m.Venue.Location
		if loc == nil {
			loc = m.Location
		}
		return chatcenter.Content{Type: chatcenter.ContentLocation, Location: &chatcenter.Location{
			Latitude: loc.Latitude, Longitude: loc.Longitude, Name: m.Venue.Title, Address: m.Venue.Address,
		}}
	case m.Location != nil:
		return chatcenter.Content{Type: chatcenter.ContentLocation, Location: &chatcenter.Location{
			Latitude: m.Location.Latitude, Longitude: m.Location.Longitude,
		}}
	case m.Contact != nil:
		return chatcenter.Content{Type: chatcenter.ContentContact, Contact: &chatcenter.SharedContact{
			Phone: m.Contact.PhoneNumber, FirstName: m.Contact.FirstName, LastName: m.Contact.LastName,
		}}
	}
	return chatcenter.Content{Type: chatcenter.ContentUnsupported}
}

// largestPhoto picks the best resolution Telegram offers. Sizes are usually ordered smallest
// first, but that is not documented, so we compare: by file_size when both sizes have one, else by
// pixel count; ties go to the later entry.
func largestPhoto(ps []photoSize) photoSize {
	best := ps[0]
	for _, p := range ps[1:] {
		var bigger bool
		if p.FileSize > 0 && best.FileSize > 0 {
			bigger = p.FileSize >= best.FileSize
		} else {
			bigger = p.Width*p.Height >= best.Width*best.Height
		}
		if bigger {
			best = p
		}
	}
	return best
}
