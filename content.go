package chatcenter

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Content types of a message, after respond.io's message union.
const (
	ContentText        = "text"
	ContentAttachment  = "attachment"
	ContentLocation    = "location"
	ContentContact     = "contact"
	ContentPostback    = "postback"
	ContentUnsupported = "unsupported"
)

// Attachment kinds.
const (
	AttachmentImage   = "image"
	AttachmentVideo   = "video"
	AttachmentAudio   = "audio"
	AttachmentVoice   = "voice"
	AttachmentFile    = "file"
	AttachmentSticker = "sticker"
)

// MaxTextLength bounds a text message (Telegram's limit, the tightest of the supported channels).
const MaxTextLength = 4096

// Reply button limits. Ten buttons with titles of up to 20 characters fit the reply buttons of
// every messaging app (WhatsApp's list rows are the tightest); 64 bytes is Telegram's
// callback_data limit, and the payload is what comes back when the contact presses a button.
const (
	MaxButtons            = 10
	MaxButtonTitleLength  = 20
	MaxButtonPayloadBytes = 64
)

// Content is the typed union carried by every message. Type selects which of the other fields is
// set; the JSON form is the API's and the database's (messages.content).
type Content struct {
	Type       string         `json:"type"`
	Text       string         `json:"text,omitempty"`
	Attachment *Attachment    `json:"attachment,omitempty"`
	Location   *Location      `json:"location,omitempty"`
	Contact    *SharedContact `json:"contact,omitempty"`
	Postback   *Postback      `json:"postback,omitempty"`
	// Buttons are reply buttons under a text message. Channels without buttons receive the text
	// followed by a numbered list of the titles instead (TextWithChoices).
	Buttons []Button `json:"buttons,omitempty"`
}

// Button is a reply button. Pressing it sends a postback carrying Payload and Title back to us.
type Button struct {
	Title   string `json:"title"`
	Payload string `json:"payload"`
}

// Attachment is a media file. Inbound media carry the provider's file reference; outbound media a
// URL the provider can fetch, or the id of a file uploaded to the workspace (POST /files), which
// is turned into a signed link to that file when the message is sent.
type Attachment struct {
	Type           string `json:"type"`
	URL            string `json:"url,omitempty"`
	FileID         int64  `json:"file_id,omitempty"`
	ProviderFileID string `json:"provider_file_id,omitempty"`
	MimeType       string `json:"mime_type,omitempty"`
	FileName       string `json:"file_name,omitempty"`
	Size           int64  `json:"size,omitempty"`
	Duration       int    `json:"duration,omitempty"`
	Caption        string `json:"caption,omitempty"`
}

// Location is a shared point.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// SharedContact is a contact card a customer sent.
type SharedContact struct {
	Phone     string `json:"phone,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// Postback is a button press (Telegram callback query, quick reply payload).
type Postback struct {
	Payload string `json:"payload"`
	Title   string `json:"title,omitempty"`
}

// Preview is a short, single-line description of the content for lists and search.
func (c Content) Preview() string {
	switch c.Type {
	case ContentText:
		return c.Text
	case ContentAttachment:
		if c.Attachment != nil {
			if c.Attachment.Caption != "" {
				return c.Attachment.Caption
			}
			return "[" + c.Attachment.Type + "]"
		}
	case ContentLocation:
		return "[location]"
	case ContentContact:
		return "[contact]"
	case ContentPostback:
		if c.Postback != nil {
			return c.Postback.Payload
		}
	}
	return "[" + c.Type + "]"
}

// TextWithChoices is the text followed by a numbered list of the button titles, the form a message
// with buttons takes on a channel that has none ("Which team?\n\n1. Sales\n2. Support"). A
// contact answers by typing a number or a title. Without buttons it is the text alone.
func (c Content) TextWithChoices() string {
	if len(c.Buttons) == 0 {
		return c.Text
	}
	var b strings.Builder
	b.WriteString(c.Text)
	b.WriteString("\n")
	for i, btn := range c.Buttons {
		b.WriteString("\n")
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". ")
		b.WriteString(btn.Title)
	}
	return b.String()
}

// ValidateOutgoing checks content an agent, flow or API client asks to send.
func (c Content) ValidateOutgoing() error {
	if len(c.Buttons) > 0 && c.Type != ContentText {
		return Errorf(EINVALID, "buttons can only be sent with a text message")
	}
	switch c.Type {
	case ContentText:
		if strings.TrimSpace(c.Text) == "" {
			return Errorf(EINVALID, "text must not be empty")
		}
		if n := utf8.RuneCountInString(c.Text); n > MaxTextLength {
			return Errorf(EINVALID, "text is %d characters; the limit is %d", n, MaxTextLength)
		}
		if len(c.Buttons) > 0 {
			if err := validateButtons(c.Buttons); err != nil {
				return err
			}
			// Channels without buttons get the numbered text, which must fit as well.
			if n := utf8.RuneCountInString(c.TextWithChoices()); n > MaxTextLength {
				return Errorf(EINVALID, "text with its numbered button titles is %d characters; the limit is %d", n, MaxTextLength)
			}
		}
	case ContentAttachment:
		a := c.Attachment
		if a == nil {
			return Errorf(EINVALID, "attachment is required for type attachment")
		}
		switch a.Type {
		case AttachmentImage, AttachmentVideo, AttachmentAudio, AttachmentVoice, AttachmentFile:
		default:
			return Errorf(EINVALID, "attachment.type must be one of image, video, audio, voice, file")
		}
		switch {
		case a.FileID < 0:
			return Errorf(EINVALID, "attachment.file_id must be the id of an uploaded file")
		case a.FileID > 0 && a.URL != "":
			return Errorf(EINVALID, "give attachment.url or attachment.file_id, not both")
		case a.FileID == 0:
			u, err := url.Parse(a.URL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return Errorf(EINVALID, "attachment.url must be an absolute http(s) URL, or give attachment.file_id")
			}
		}
		if n := utf8.RuneCountInString(a.Caption); n > 1024 {
			return Errorf(EINVALID, "attachment.caption is %d characters; the limit is 1024", n)
		}
	default:
		return Errorf(EINVALID, "message type %q cannot be sent; use text or attachment", c.Type)
	}
	return nil
}

// validateButtons checks the reply buttons of a text message; an empty list means no buttons.
func validateButtons(buttons []Button) error {
	if len(buttons) > MaxButtons {
		return Errorf(EINVALID, "a message may have at most %d buttons; got %d", MaxButtons, len(buttons))
	}
	payloads := make(map[string]int, len(buttons))
	titles := make(map[string]int, len(buttons))
	for i, b := range buttons {
		n := i + 1
		if strings.TrimSpace(b.Title) == "" {
			return Errorf(EINVALID, "button %d: title must not be empty", n)
		}
		if l := utf8.RuneCountInString(b.Title); l > MaxButtonTitleLength {
			return Errorf(EINVALID, "button %d: title is %d characters; the limit is %d", n, l, MaxButtonTitleLength)
		}
		if !printable(b.Title) {
			return Errorf(EINVALID, "button %d: title must be printable text on one line", n)
		}
		if b.Payload == "" {
			return Errorf(EINVALID, "button %d: payload must not be empty", n)
		}
		if l := len(b.Payload); l > MaxButtonPayloadBytes {
			return Errorf(EINVALID, "button %d: payload is %d bytes; the limit is %d", n, l, MaxButtonPayloadBytes)
		}
		if !utf8.ValidString(b.Payload) || strings.IndexFunc(b.Payload, unicode.IsControl) >= 0 {
			return Errorf(EINVALID, "button %d: payload must be text without control characters", n)
		}
		if prev, dup := payloads[b.Payload]; dup {
			return Errorf(EINVALID, "button %d: payload %q is already used by button %d", n, b.Payload, prev)
		}
		payloads[b.Payload] = n
		// A contact answering the numbered text by title must point at one button.
		key := strings.ToLower(strings.TrimSpace(b.Title))
		if prev, dup := titles[key]; dup {
			return Errorf(EINVALID, "button %d: title %q is already used by button %d", n, b.Title, prev)
		}
		titles[key] = n
	}
	return nil
}

// printable reports whether s is valid UTF-8 made only of printable characters and plain spaces
// (no line breaks, tabs or control characters).
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
