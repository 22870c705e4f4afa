package telegram

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
)

// Verbatim samples from channels.md §4.1.
const (
	sampleText = `{
"update_id":10000,
"message":{
  "date":1441645532,
  "chat":{
     "last_name":"Test Lastname",
     "id":1111111,
     "type": "private",
     "first_name":"Test Firstname",
     "username":"Testusername"
  },
  "message_id":1365,
  "from":{
     "last_name":"Test Lastname",
     "id":1111111,
     "first_name":"Test Firstname",
     "username":"Testusername"
  },
  "text":"/start"
}
}`
	samplePhoto          = `{"update_id":900946525,"message":{"message_id":85,"from":{"id":3527065,"first_name":"Nic","last_name":"Pottier","username":"Nicpottier"},"chat":{"id":3527065,"first_name":"Nic","last_name":"Pottier","username":"Nicpottier","type":"private"},"date":1493843318,"photo":[{"file_id":"AgADAQADtKcxG4LRUUQSQVUjfJIiiF8G6C8ABHsRSbk65AmUi3cBAAEC","file_size":1140,"width":51,"height":90},{"file_id":"AgADAQADtKcxG4LRUUQSQVUjfJIiiF8G6C8ABNEDQTuwtue6jXcBAAEC","file_size":12138,"width":180,"height":320},{"file_id":"AgADAQADtKcxG4LRUUQSQVUjfJIiiF8G6C8ABF8Fy2sccmWmjHcBAAEC","file_size":57833,"width":450,"height":800},{"file_id":"AgADAQADtKcxG4LRUUQSQVUjfJIiiF8G6C8ABA9NJzFdXskaincBAAEC","file_size":104737,"width":720,"height":1280}],"caption":"Photo Caption"}}`
	sampleVoice          = `{"update_id":900946531,"message":{"message_id":91,"from":{"id":3527065,"first_name":"Nic","last_name":"Pottier","username":"Nicpottier"},"chat":{"id":3527065,"first_name":"Nic","last_name":"Pottier","username":"Nicpottier","type":"private"},"date":1493844646,"voice":{"duration":1,"mime_type":"audio/ogg","file_id":"AwADAQADCQADgtFRRGn8KrC-0D_MAg","file_size":4288}}}`
	sampleEdited         = `{"update_id":10000,"edited_message":{"date":1441645532,"chat":{"last_name":"Test Lastname","type":"private","id":1111111,"first_name":"Test Firstname","username":"Testusername"},"message_id":1365,"from":{"last_name":"Test Lastname","id":1111111,"first_name":"Test Firstname","username":"Testusername"},"text":"Edited text","edit_date":1441646600}}`
	sampleCallbackInline = `{"update_id":10000,"callback_query":{"id":"4382bfdwdsb323b2d9","from":{"last_name":"Test Lastname","type":"private","id":1111111,"first_name":"Test Firstname","username":"Testusername"},"data":"Data from button callback","inline_message_id":"1234csdbsk4839"}}`
)

// Our own samples, shaped after the Bot API's Message object.
const (
	sampleCallbackChat = `{"update_id":10001,"callback_query":{"id":"77aa","from":{"id":1111111,"first_name":"Test","language_code":"pt-br"},"chat_instance":"-123","data":"yes","message":{"message_id":1400,"date":1441645600,"chat":{"id":1111111,"type":"private"},"text":"Continue?"}}}`
	// A press on a button we sent: the message it sits on carries our inline keyboard.
	sampleCallbackKeyboard = `{"update_id":10003,"callback_query":{"id":"99cc","from":{"id":1111111,"first_name":"Test"},"chat_instance":"-123","data":"team_support","message":{"message_id":1401,"date":1441645700,"chat":{"id":1111111,"type":"private"},"text":"Which team?","reply_markup":{"inline_keyboard":[[{"text":"Sales","callback_data":"team_sales"}],[{"text":"Support","callback_data":"team_support"}]]}}}}`
	sampleCallbackGroup    = `{"update_id":10002,"callback_query":{"id":"88bb","from":{"id":1111111,"first_name":"Test"},"chat_instance":"-123","data":"yes","message":{"message_id":5,"date":1441645600,"chat":{"id":-100123,"type":"supergroup","title":"G"},"text":"Vote"}}}`
	sampleAudio            = `{"update_id":1,"message":{"message_id":2,"from":{"id":42,"first_name":"A","language_code":"en"},"chat":{"id":42,"type":"private"},"date":1700000000,"audio":{"file_id":"AUD","duration":185,"mime_type":"audio/mpeg","file_name":"song.mp3","file_size":2961234,"title":"Song"},"caption":"listen"}}`
	sampleDocument         = `{"update_id":1,"message":{"message_id":3,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1700000000,"document":{"file_id":"DOC","file_unique_id":"u","file_name":"invoice.pdf","mime_type":"application/pdf","file_size":12345}}}`
	sampleVideo            = `{"update_id":1,"message":{"message_id":4,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1700000000,"video":{"file_id":"VID","width":640,"height":480,"duration":12,"mime_type":"video/mp4","file_size":999}}}`
	sampleSticker          = `{"update_id":1,"message":{"message_id":5,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1700000000,"sticker":{"file_id":"STK","width":512,"height":512,"is_animated":false,"is_video":false,"emoji":"😀","file_size":20000}}}`
	sampleStickerTGS       = `{"update_id":1,"message":{"message_id":6,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1700000000,"sticker":{"file_id":"TGS","is_animated":true,"is_video":false}}}`
	sampleStickerWebm      = `{"update_id":1,"message":{"message_id":7,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1700000000,"sticker":{"file_id":"WEBM","is_animated":false,"is_video":true}}}`
	sampleLocation         = `{"update_id":1,"message":{"message_id":8,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1700000000,"location":{"latitude":3.139003,"longitude":101.686852}}}`
	sampleVenue            = `{"update_id":1,"message":{"message_id":9,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1700000000,"location":{"latitude":3.1,"longitude":101.6},"venue":{"location":{"latitude":3.1,"longitude":101.6},"title":"KLCC","address":"Kuala Lumpur"}}}`
	sampleContact          = `{"update_id":1,"message":{"message_id":10,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1700000000,"contact":{"phone_number":"+60123456789","first_name":"Ali","last_name":"Bakar","user_id":7}}}`
	sampleDice             = `{"update_id":1,"message":{"message_id":11,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1700000000,"dice":{"emoji":"🎲","value":4}}}`
	sampleNoType           = `{"update_id":1,"message":{"message_id":12,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"first_name":"A"},"date":1700000000,"text":"old style"}}`
	sampleGroup            = `{"update_id":1,"message":{"message_id":13,"from":{"id":42,"first_name":"A"},"chat":{"id":-4242,"type":"group","title":"Team"},"date":1700000000,"text":"hi all"}}`
	sampleSupergroup       = `{"update_id":1,"message":{"message_id":14,"from":{"id":42,"first_name":"A"},"chat":{"id":-1004242,"type":"supergroup","title":"Team"},"date":1700000000,"text":"hi all"}}`
	sampleNoTypeGroup      = `{"update_id":1,"message":{"message_id":15,"from":{"id":42,"first_name":"A"},"chat":{"id":-4242,"title":"Team"},"date":1700000000,"text":"hi all"}}`
	sampleChannelPost      = `{"update_id":1,"channel_post":{"message_id":16,"chat":{"id":-1001,"type":"channel","title":"News"},"date":1700000000,"text":"news"}}`
	sampleInlineQuery      = `{"update_id":1,"inline_query":{"id":"q1","from":{"id":42,"first_name":"A"},"query":"cats","offset":""}}`
	sampleMyChatMember     = `{"update_id":1,"my_chat_member":{"chat":{"id":42,"type":"private"},"from":{"id":42},"date":1700000000,"old_chat_member":{"status":"member"},"new_chat_member":{"status":"kicked"}}}`
)

func TestParse(t *testing.T) {
	tgUser := channels.Sender{ExternalID: "1111111", FirstName: "Test Firstname", LastName: "Test Lastname", Username: "Testusername"}
	nic := channels.Sender{ExternalID: "3527065", FirstName: "Nic", LastName: "Pottier", Username: "Nicpottier"}
	a := channels.Sender{ExternalID: "42", FirstName: "A"}
	at := time.Unix(1700000000, 0).UTC()
	attachment := func(a chatcenter.Attachment) chatcenter.Content {
		return chatcenter.Content{Type: chatcenter.ContentAttachment, Attachment: &a}
	}

	tests := []struct {
		name string
		body string
		want []channels.InboundEvent
	}{
		{"text", sampleText, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "1111111:1365", Sender: tgUser,
			Content: chatcenter.Content{Type: "text", Text: "/start"},
			SentAt:  time.Date(2015, 9, 7, 17, 5, 32, 0, time.UTC),
		}}},
		{"photo picks the largest size", samplePhoto, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "3527065:85", Sender: nic,
			Content: attachment(chatcenter.Attachment{
				Type: "image", ProviderFileID: "AgADAQADtKcxG4LRUUQSQVUjfJIiiF8G6C8ABA9NJzFdXskaincBAAEC",
				Size: 104737, Caption: "Photo Caption",
			}),
			SentAt: time.Unix(1493843318, 0).UTC(),
		}}},
		{"voice", sampleVoice, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "3527065:91", Sender: nic,
			Content: attachment(chatcenter.Attachment{
				Type: "voice", ProviderFileID: "AwADAQADCQADgtFRRGn8KrC-0D_MAg", MimeType: "audio/ogg", Size: 4288, Duration: 1,
			}),
			SentAt: time.Unix(1493844646, 0).UTC(),
		}}},
		{"edited message keeps the original id", sampleEdited, []channels.InboundEvent{{
			Kind: channels.InboundEdit, ExternalID: "1111111:1365", Sender: tgUser,
			Content: chatcenter.Content{Type: "text", Text: "Edited text"},
			SentAt:  time.Unix(1441645532, 0).UTC(),
		}}},
		{"inline callback query", sampleCallbackInline, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "cbq:4382bfdwdsb323b2d9", Sender: tgUser,
			Content:    chatcenter.Content{Type: "postback", Postback: &chatcenter.Postback{Payload: "Data from button callback"}},
			CallbackID: "4382bfdwdsb323b2d9",
		}}},
		{"callback query in a private chat", sampleCallbackChat, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "cbq:77aa",
			Sender:     channels.Sender{ExternalID: "1111111", FirstName: "Test", Language: "pt-br"},
			Content:    chatcenter.Content{Type: "postback", Postback: &chatcenter.Postback{Payload: "yes"}},
			SentAt:     time.Unix(1441645600, 0).UTC(),
			CallbackID: "77aa",
		}}},
		{"callback query on our keyboard has the button title", sampleCallbackKeyboard, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "cbq:99cc",
			Sender:     channels.Sender{ExternalID: "1111111", FirstName: "Test"},
			Content:    chatcenter.Content{Type: "postback", Postback: &chatcenter.Postback{Payload: "team_support", Title: "Support"}},
			SentAt:     time.Unix(1441645700, 0).UTC(),
			CallbackID: "99cc",
		}}},
		{"audio", sampleAudio, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "42:2",
			Sender: channels.Sender{ExternalID: "42", FirstName: "A", Language: "en"},
			Content: attachment(chatcenter.Attachment{
				Type: "audio", ProviderFileID: "AUD", MimeType: "audio/mpeg", FileName: "song.mp3",
				Size: 2961234, Duration: 185, Caption: "listen",
			}),
			SentAt: at,
		}}},
		{"document", sampleDocument, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "42:3", Sender: a,
			Content: attachment(chatcenter.Attachment{
				Type: "file", ProviderFileID: "DOC", MimeType: "application/pdf", FileName: "invoice.pdf", Size: 12345,
			}),
			SentAt: at,
		}}},
		{"video", sampleVideo, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "42:4", Sender: a,
			Content: attachment(chatcenter.Attachment{
				Type: "video", ProviderFileID: "VID", MimeType: "video/mp4", Size: 999, Duration: 12,
			}),
			SentAt: at,
		}}},
		{"static sticker", sampleSticker, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "42:5", Sender: a,
			Content: attachment(chatcenter.Attachment{Type: "sticker", ProviderFileID: "STK", MimeType: "image/webp", Size: 20000}),
			SentAt:  at,
		}}},
		{"animated sticker", sampleStickerTGS, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "42:6", Sender: a,
			Content: attachment(chatcenter.Attachment{Type: "sticker", ProviderFileID: "TGS", MimeType: "application/x-tgsticker"}),
			SentAt:  at,
		}}},
		{"video sticker", sampleStickerWebm, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "42:7", Sender: a,
			Content: attachment(chatcenter.Attachment{Type: "sticker", ProviderFileID: "WEBM", MimeType: "video/webm"}),
			SentAt:  at,
		}}},
		{"location", sampleLocation, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "42:8", Sender: a,
			Content: chatcenter.Content{Type: "location", Location: &chatcenter.Location{Latitude: 3.139003, Longitude: 101.686852}},
			SentAt:  at,
		}}},
		{"venue", sampleVenue, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "42:9", Sender: a,
			Content: chatcenter.Content{Type: "location", Location: &chatcenter.Location{
				Latitude: 3.1, Longitude: 101.6, Name: "KLCC", Address: "Kuala Lumpur",
			}},
			SentAt: at,
		}}},
		{"contact", sampleContact, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "42:10", Sender: a,
			Content: chatcenter.Content{Type: "contact", Contact: &chatcenter.SharedContact{
				Phone: "+60123456789", FirstName: "Ali", LastName: "Bakar",
			}},
			SentAt: at,
		}}},
		{"unsupported content", sampleDice, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "42:11", Sender: a,
			Content: chatcenter.Content{Type: "unsupported"}, SentAt: at,
		}}},
		{"chat without type is private when its id is the sender's", sampleNoType, []channels.InboundEvent{{
			Kind: channels.InboundMessage, ExternalID: "42:12", Sender: a,
			Content: chatcenter.Content{Type: "text", Text: "old style"}, SentAt: at,
		}}},
		{"group message", sampleGroup, nil},
		{"supergroup message", sampleSupergroup, nil},
		{"untyped group chat", sampleNoTypeGroup, nil},
		{"channel post", sampleChannelPost, nil},
		{"callback query in a group", sampleCallbackGroup, nil},
		{"inline query", sampleInlineQuery, nil},
		{"my_chat_member", sampleMyChatMember, nil},
		{"update with nothing we know", `{"update_id":5,"future_kind":{"x":1}}`, nil},
		{"message without chat", `{"update_id":5,"message":{"message_id":1,"date":1,"text":"x"}}`, nil},
		{"message without message_id", `{"update_id":5,"message":{"chat":{"id":1,"type":"private"},"text":"x"}}`, nil},
		{"callback query without from", `{"update_id":5,"callback_query":{"id":"x","data":"d"}}`, nil},
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
		"not JSON":           `{"update_id":`,
		"empty":              ``,
		"array":              `[{"update_id":1}]`,
		"null":               `null`,
		"missing update_id":  `{"message":{"message_id":1,"chat":{"id":1,"type":"private"},"text":"x"}}`,
		"update_id a string": `{"update_id":"1"}`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Parse([]byte(body))
			require.Error(t, err)
			assert.ErrorIs(t, err, channels.ErrMalformed)
			assert.Empty(t, got)
		})
	}
}

func TestLargestPhotoWithoutFileSize(t *testing.T) {
	// Without file_size the pixel count decides, whatever the order.
	got := largestPhoto([]photoSize{{FileID: "big", Width: 800, Height: 600}, {FileID: "small", Width: 90, Height: 60}})
	assert.Equal(t, "big", got.FileID)
	got = largestPhoto([]photoSize{{FileID: "a", FileSize: 500}, {FileID: "b", FileSize: 100}})
	assert.Equal(t, "a", got.FileID)
}

func TestVerifyRequest(t *testing.T) {
	header := func(v string) http.Header {
		h := http.Header{}
		if v != "" {
			h.Set("X-Telegram-Bot-Api-Secret-Token", v)
		}
		return h
	}
	assert.NoError(t, VerifyRequest(header("s3cr3t_-X"), "s3cr3t_-X"))
	for name, tc := range map[string]struct{ got, secret string }{
		"wrong":                   {"s3cr3t_-Y", "s3cr3t_-X"},
		"prefix":                  {"s3cr3t", "s3cr3t_-X"},
		"missing":                 {"", "s3cr3t_-X"},
		"empty secret":            {"anything", ""},
		"empty secret and header": {"", ""},
	} {
		t.Run(name, func(t *testing.T) {
			err := VerifyRequest(header(tc.got), tc.secret)
			assert.True(t, errors.Is(err, channels.ErrUnauthorized), "got %v", err)
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{BotToken: "123456:ABC-DEF_ghi", SecretToken: "abc_DEF-123"}
	require.NoError(t, ok.Validate())
	withURL := ok
	withURL.APIBaseURL = "http://localhost:8081/"
	require.NoError(t, withURL.Validate())

	for name, tc := range map[string]struct {
		mutate func(*Config)
		msg    string
	}{
		"no token":          {func(c *Config) { c.BotToken = "" }, "bot_token is required"},
		"token no colon":    {func(c *Config) { c.BotToken = "123456ABC" }, "bot_token must look like"},
		"token bad id":      {func(c *Config) { c.BotToken = "abc:DEF" }, "bot_token must look like"},
		"token bad chars":   {func(c *Config) { c.BotToken = "123:AB/C" }, "bot_token must look like"},
		"token empty part":  {func(c *Config) { c.BotToken = "123:" }, "bot_token must look like"},
		"no secret":         {func(c *Config) { c.SecretToken = "" }, "secret_token is required"},
		"secret bad chars":  {func(c *Config) { c.SecretToken = "a b" }, "secret_token must be"},
		"secret too long":   {func(c *Config) { c.SecretToken = strings.Repeat("a", 257) }, "secret_token must be"},
		"relative base URL": {func(c *Config) { c.APIBaseURL = "/api" }, "api_base_url"},
		"ftp base URL":      {func(c *Config) { c.APIBaseURL = "ftp://example.com" }, "api_base_url"},
	} {
		t.Run(name, func(t *testing.T) {
			c := ok
			tc.mutate(&c)
			err := c.Validate()
			var ce *chatcenter.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, chatcenter.EINVALID, ce.Code)
			assert.Contains(t, ce.Message, tc.msg)
			if c.BotToken != "" {
				assert.NotContains(t, ce.Message, c.BotToken, "message must not echo the token")
			}
		})
	}

	long := ok
	long.SecretToken = strings.Repeat("a", 256)
	assert.NoError(t, long.Validate())
}

func TestBaseURL(t *testing.T) {
	assert.Equal(t, "https://api.telegram.org", Config{}.BaseURL())
	assert.Equal(t, "http://localhost:8081", Config{APIBaseURL: "http://localhost:8081//"}.BaseURL())
}
