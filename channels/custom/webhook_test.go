package custom

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
)

// sampleText is the inbound body from product-respondio.md §6.5, with real values.
const sampleText = `{"channelId":"gfd8g7fd89dgfd","contactId":"+60123456789","events":[{"type":"message","mId":"xcvvbbnn","timestamp":1662965848000,"message":{"type":"text","text":"hello"}}]}`

const sampleFull = `{
  "channelId": "gfd8g7fd89dgfd",
  "contactId": "+60123456789",
  "contact": {"firstName": "Siti", "lastName": "Aminah", "phone": "+60123456789", "email": "siti@example.com", "language": "ms"},
  "events": [
    {"type": "message", "mId": "m1", "timestamp": 1662965848000, "message": {"type": "attachment", "attachment": {"type": "image", "url": "https://cdn.example.com/a.jpg"}}},
    {"type": "message", "mId": "m2", "timestamp": 1662965849000, "message": {"type": "location", "latitude": 3.139, "longitude": 101.6869, "address": "Kuala Lumpur"}},
    {"type": "message", "mId": "m3", "timestamp": 1662965850000, "message": {"type": "sticker", "id": "x"}},
    {"type": "typing_on"},
    {"type": "message_status", "mId": "out-1", "timestamp": 1662965851000, "status": "delivered"},
    {"type": "message_status", "mId": "out-2", "status": "failed", "error": "number unreachable"}
  ],
  "future": true
}`

func TestParse(t *testing.T) {
	phone := channels.Sender{ExternalID: "+60123456789", Phone: "+60123456789"}
	siti := channels.Sender{ExternalID: "+60123456789", Phone: "+60123456789", FirstName: "Siti", LastName: "Aminah", Language: "ms"}
	att := func(typ, url string) chatcenter.Content {
		return chatcenter.Content{Type: "attachment", Attachment: &chatcenter.Attachment{Type: typ, URL: url}}
	}
	msg := func(id string, c chatcenter.Content) []channels.InboundEvent {
		return []channels.InboundEvent{{Kind: channels.InboundMessage, ExternalID: id, Sender: phone, Content: c}}
	}
	body := func(message string) string {
		return `{"channelId":"c","contactId":"+60123456789","events":[{"type":"message","mId":"m","message":` + message + `}]}`
	}

	tests := []struct {
		name string
		body string
		want []channels.InboundEvent
	}{
		{"text", sampleText, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "xcvvbbnn", Sender: phone,
			Content: chatcenter.Content{Type: "text", Text: "hello"},
			SentAt:  time.Date(2022, 9, 12, 6, 57, 28, 0, time.UTC),
		}}},
		{"mixed events with contact", sampleFull, []channels.InboundEvent{
			{Kind: channels.InboundMessage, ExternalID: "m1", Sender: siti,
				Content: att("image", "https://cdn.example.com/a.jpg"), SentAt: time.UnixMilli(1662965848000).UTC()},
			{Kind: channels.InboundMessage, ExternalID: "m2", Sender: siti,
				Content: chatcenter.Content{Type: "location", Location: &chatcenter.Location{Latitude: 3.139, Longitude: 101.6869, Address: "Kuala Lumpur"}},
				SentAt:  time.UnixMilli(1662965849000).UTC()},
			{Kind: channels.InboundMessage, ExternalID: "m3", Sender: siti,
				Content: chatcenter.Content{Type: "unsupported"}, SentAt: time.UnixMilli(1662965850000).UTC()},
			{Kind: channels.InboundStatus, ExternalID: "out-1", Sender: siti,
				Status: chatcenter.StatusDelivered, SentAt: time.UnixMilli(1662965851000).UTC()},
			{Kind: channels.InboundStatus, ExternalID: "out-2", Sender: siti,
				Status: chatcenter.StatusFailed, Error: "number unreachable"},
		}},
		{"non-phone contact id", `{"contactId":"user-42","events":[{"type":"message","mId":"a","message":{"type":"text","text":"x"}}]}`,
			[]channels.InboundEvent{{Kind: channels.InboundMessage, ExternalID: "a",
				Sender: channels.Sender{ExternalID: "user-42"}, Content: chatcenter.Content{Type: "text", Text: "x"}}}},
		{"phone from contact when the id is not one", `{"contactId":"user-42","contact":{"phone":"+14155550123"},"events":[{"type":"message","mId":"a","message":{"type":"text","text":"x"}}]}`,
			[]channels.InboundEvent{{Kind: channels.InboundMessage, ExternalID: "a",
				Sender: channels.Sender{ExternalID: "user-42", Phone: "+14155550123"}, Content: chatcenter.Content{Type: "text", Text: "x"}}}},
		{"too short to be E.164", `{"contactId":"+12345","events":[]}`, nil},
		{"video", body(`{"type":"attachment","attachment":{"type":"video","url":"https://x/v.mp4"}}`), msg("m", att("video", "https://x/v.mp4"))},
		{"audio", body(`{"type":"attachment","attachment":{"type":"audio","url":"https://x/a.mp3"}}`), msg("m", att("audio", "https://x/a.mp3"))},
		{"file", body(`{"type":"attachment","attachment":{"type":"file","url":"https://x/f.pdf"}}`), msg("m", att("file", "https://x/f.pdf"))},
		{"attachment with extras", body(`{"type":"attachment","attachment":{"type":"file","url":"https://x/f.pdf","fileName":"f.pdf","mimeType":"application/pdf","description":"invoice"}}`),
			msg("m", chatcenter.Content{Type: "attachment", Attachment: &chatcenter.Attachment{
				Type: "file", URL: "https://x/f.pdf", FileName: "f.pdf", MimeType: "application/pdf", Caption: "invoice"}})},
		{"unknown attachment type", body(`{"type":"attachment","attachment":{"type":"hologram","url":"https://x/h"}}`), msg("m", chatcenter.Content{Type: "unsupported"})},
		{"attachment without url", body(`{"type":"attachment","attachment":{"type":"image"}}`), msg("m", chatcenter.Content{Type: "unsupported"})},
		{"postback", body(`{"type":"postback","postback":{"payload":"team_sales","title":"Sales"}}`),
			msg("m", chatcenter.Content{Type: "postback", Postback: &chatcenter.Postback{Payload: "team_sales", Title: "Sales"}})},
		{"postback without title", body(`{"type":"postback","postback":{"payload":"team_sales"}}`),
			msg("m", chatcenter.Content{Type: "postback", Postback: &chatcenter.Postback{Payload: "team_sales"}})},
		{"postback without payload", body(`{"type":"postback","postback":{"title":"Sales"}}`), msg("m", chatcenter.Content{Type: "unsupported"})},
		{"postback without body", body(`{"type":"postback"}`), msg("m", chatcenter.Content{Type: "unsupported"})},
		{"location without longitude", body(`{"type":"location","latitude":1}`), msg("m", chatcenter.Content{Type: "unsupported"})},
		{"location out of range", body(`{"type":"location","latitude":91,"longitude":0}`), msg("m", chatcenter.Content{Type: "unsupported"})},
		{"location at 0,0", body(`{"type":"location","latitude":0,"longitude":0}`),
			msg("m", chatcenter.Content{Type: "location", Location: &chatcenter.Location{}})},
		{"status words are case-insensitive", `{"contactId":"u","events":[{"type":"message_status","mId":"o","status":"Read"}]}`,
			[]channels.InboundEvent{{Kind: channels.InboundStatus, ExternalID: "o", Sender: channels.Sender{ExternalID: "u"}, Status: chatcenter.StatusRead}}},
		{"sent status", `{"contactId":"u","events":[{"type":"message_status","mId":"o","status":"sent"}]}`,
			[]channels.InboundEvent{{Kind: channels.InboundStatus, ExternalID: "o", Sender: channels.Sender{ExternalID: "u"}, Status: chatcenter.StatusSent}}},
		{"float timestamp", `{"contactId":"u","events":[{"type":"message","mId":"a","timestamp":1662965848000.0,"message":{"type":"text","text":"x"}}]}`,
			[]channels.InboundEvent{{Kind: channels.InboundMessage, ExternalID: "a", Sender: channels.Sender{ExternalID: "u"},
				Content: chatcenter.Content{Type: "text", Text: "x"}, SentAt: time.UnixMilli(1662965848000).UTC()}}},
		{"empty events", `{"channelId":"c","contactId":"+60123456789","events":[]}`, nil},
		{"no events", `{"channelId":"c","contactId":"+60123456789"}`, nil},
		{"only unknown events", `{"contactId":"u","events":[{"type":"typing_on"},{"type":"reaction","mId":"r"}]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.body))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseMalformed(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":               `{"contactId":`,
		"empty body":             ``,
		"array":                  `[]`,
		"missing contactId":      `{"channelId":"c","events":[{"type":"message","mId":"a","message":{"type":"text","text":"x"}}]}`,
		"blank contactId":        `{"contactId":"  ","events":[]}`,
		"numeric contactId":      `{"contactId":60123456789,"events":[]}`,
		"message without mId":    `{"contactId":"u","events":[{"type":"message","message":{"type":"text","text":"x"}}]}`,
		"message without body":   `{"contactId":"u","events":[{"type":"message","mId":"a"}]}`,
		"status without mId":     `{"contactId":"u","events":[{"type":"message_status","status":"read"}]}`,
		"unknown status":         `{"contactId":"u","events":[{"type":"message_status","mId":"a","status":"seen"}]}`,
		"timestamp not a number": `{"contactId":"u","events":[{"type":"message","mId":"a","timestamp":"yesterday","message":{"type":"text"}}]}`,
		"events not an array":    `{"contactId":"u","events":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Parse([]byte(body))
			assert.ErrorIs(t, err, channels.ErrMalformed)
			assert.Empty(t, got)
		})
	}
}

func TestVerifyRequest(t *testing.T) {
	const token = "tok_0123456789abcdef"
	header := func(v string) http.Header {
		h := http.Header{}
		if v != "" {
			h.Set("Authorization", v)
		}
		return h
	}
	assert.NoError(t, VerifyRequest(header("Bearer "+token), token))
	assert.NoError(t, VerifyRequest(header("bearer "+token), token), "the scheme is case-insensitive")
	for name, tc := range map[string]struct{ header, token string }{
		"wrong token":        {"Bearer tok_0123456789abcdeX", token},
		"prefix of token":    {"Bearer tok_0123", token},
		"token case differs": {"Bearer " + strings.ToUpper(token), token},
		"missing":            {"", token},
		"bare token":         {token, token},
		"basic scheme":       {"Basic " + token, token},
		"bearer only":        {"Bearer ", token},
		"empty expected":     {"Bearer ", ""},
		"empty expected 2":   {"Bearer x", ""},
	} {
		t.Run(name, func(t *testing.T) {
			assert.ErrorIs(t, VerifyRequest(header(tc.header), tc.token), channels.ErrUnauthorized)
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{APIURL: "https://integration.example.com/respond", APIToken: "tok_0123456789abcdef"}
	require.NoError(t, ok.Validate())
	for name, tc := range map[string]struct {
		mutate func(*Config)
		msg    string
	}{
		"no url":          {func(c *Config) { c.APIURL = "" }, "api_url is required"},
		"relative url":    {func(c *Config) { c.APIURL = "/message" }, "api_url must be"},
		"no host":         {func(c *Config) { c.APIURL = "https://" }, "api_url must be"},
		"ftp url":         {func(c *Config) { c.APIURL = "ftp://x.example.com" }, "api_url must be"},
		"no token":        {func(c *Config) { c.APIToken = "" }, "api_token is required"},
		"short token":     {func(c *Config) { c.APIToken = "0123456789abcde" }, "16 to 256"},
		"long token":      {func(c *Config) { c.APIToken = strings.Repeat("a", 257) }, "16 to 256"},
		"token w/ space":  {func(c *Config) { c.APIToken = "0123456789 abcdef" }, "printable"},
		"token w/ ctrl":   {func(c *Config) { c.APIToken = "0123456789abcdef\n" }, "printable"},
		"token non-ASCII": {func(c *Config) { c.APIToken = "0123456789abcdéf" }, "printable"},
	} {
		t.Run(name, func(t *testing.T) {
			c := ok
			tc.mutate(&c)
			var ce *chatcenter.Error
			require.ErrorAs(t, c.Validate(), &ce)
			assert.Equal(t, chatcenter.EINVALID, ce.Code)
			assert.Contains(t, ce.Message, tc.msg)
		})
	}
	edge := ok
	edge.APIToken = strings.Repeat("~", 256)
	assert.NoError(t, edge.Validate())
	edge.APIToken = strings.Repeat("!", 16)
	assert.NoError(t, edge.Validate())
}
