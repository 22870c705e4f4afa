package chatcenter

import (
	"net/url"
	"strings"
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

// Content is the typed union carried by every message. Type selects which of the other fields is
// set; the JSON form is the API's and the database's (messages.content).
type Content struct {
	Type       string         `json:"type"`
	Text       string         `json:"text,omitempty"`
	Attachment *Attachment    `json:"attachment,omitempty"`
	Location   *Location      `json:"location,omitempty"`
	Contact    *SharedContact `json:"contact,omitempty"`
	Postback   *Postback      `json:"postback,omitempty"`
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

// ValidateOutgoing checks content an agent, flow or API client asks to send.
func (c Content) ValidateOutgoing() error {
	switch c.Type {
	case ContentText:
		if strings.TrimSpace(c.Text) == "" {
			return Errorf(EINVALID, "text must not be empty")
		}
		if n := utf8.RuneCountInString(c.Text); n > MaxTextLength {
			return Errorf(EINVALID, "text is %d characters; the limit is %d", n, MaxTextLength)
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
