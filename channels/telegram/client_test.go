package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
)

const testToken = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"

// fakeTelegram is an httptest server that records the single request it expects and answers
// with a canned status and body.
type fakeTelegram struct {
	srv     *httptest.Server
	method  string
	path    string
	ctype   string
	body    map[string]any
	rawBody []byte
	calls   int
	// length is the request's Content-Length (-1 when it was sent chunked).
	length int64
}

func newFake(t *testing.T, status int, header http.Header, answer string) *fakeTelegram {
	t.Helper()
	f := &fakeTelegram{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls++
		f.method, f.path, f.ctype, f.length = r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.ContentLength
		f.rawBody, _ = io.ReadAll(r.Body)
		f.body = nil
		// UseNumber keeps chat_id's JSON type visible: a json.Number, not a string.
		dec := json.NewDecoder(bytes.NewReader(f.rawBody))
		dec.UseNumber()
		_ = dec.Decode(&f.body)
		for k, vs := range header {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTelegram) client() *Client {
	return NewClient(Config{BotToken: testToken, SecretToken: "s", APIBaseURL: f.srv.URL + "/"}, f.srv.Client())
}

func text(recipient, s string) channels.OutboundMessage {
	return channels.OutboundMessage{Recipient: recipient, Content: chatcenter.Content{Type: "text", Text: s}, IdempotencyKey: "k1"}
}

func TestSendText(t *testing.T) {
	f := newFake(t, 200, nil, `{"ok":true,"result":{"message_id":133,"from":{"id":1,"is_bot":true},"chat":{"id":1111111,"type":"private"},"date":1700000000,"text":"hello"}}`)
	res, err := f.client().Send(context.Background(), text("1111111", "hello"))
	require.NoError(t, err)
	assert.Equal(t, channels.SendResult{ExternalID: "1111111:133"}, res)

	assert.Equal(t, http.MethodPost, f.method)
	assert.Equal(t, "/bot"+testToken+"/sendMessage", f.path)
	assert.Equal(t, "application/json", f.ctype)
	assert.Equal(t, map[string]any{"chat_id": json.Number("1111111"), "text": "hello"}, f.body)
}

func TestSendTextWithButtons(t *testing.T) {
	f := newFake(t, 200, nil, `{"ok":true,"result":{"message_id":134,"chat":{"id":1111111,"type":"private"}}}`)
	m := text("1111111", "Which team?")
	m.Content.Buttons = []chatcenter.Button{{Title: "Sales", Payload: "team_sales"}, {Title: "Soporte técnico", Payload: "team_support"}}
	res, err := f.client().Send(context.Background(), m)
	require.NoError(t, err)
	assert.Equal(t, "1111111:134", res.ExternalID)

	assert.Equal(t, "/bot"+testToken+"/sendMessage", f.path)
	assert.Equal(t, map[string]any{
		"chat_id": json.Number("1111111"),
		"text":    "Which team?",
		"reply_markup": map[string]any{"inline_keyboard": []any{
			[]any{map[string]any{"text": "Sales", "callback_data": "team_sales"}},
			[]any{map[string]any{"text": "Soporte técnico", "callback_data": "team_support"}},
		}},
	}, f.body, "one button per row, each with exactly text and callback_data")
	assert.JSONEq(t, `{"chat_id":1111111,"text":"Which team?","reply_markup":{"inline_keyboard":[`+
		`[{"text":"Sales","callback_data":"team_sales"}],[{"text":"Soporte técnico","callback_data":"team_support"}]]}}`,
		string(f.rawBody))
}

func TestSendTextWithoutButtonsHasNoReplyMarkup(t *testing.T) {
	f := newFake(t, 200, nil, `{"ok":true,"result":{"message_id":1}}`)
	m := text("42", "hi")
	m.Content.Buttons = []chatcenter.Button{}
	_, err := f.client().Send(context.Background(), m)
	require.NoError(t, err)
	assert.NotContains(t, f.body, "reply_markup")
}

func TestSendTextMinimalResultUsesRecipient(t *testing.T) {
	// courier's mock answer: no chat in the result, so the recipient supplies the chat id.
	f := newFake(t, 200, nil, `{ "ok": true, "result": { "message_id": 133 } }`)
	res, err := f.client().Send(context.Background(), text("-1001234567890", "hi"))
	require.NoError(t, err)
	assert.Equal(t, "-1001234567890:133", res.ExternalID)
	assert.Equal(t, json.Number("-1001234567890"), f.body["chat_id"])
}

func TestSendToUsernameSendsStringChatID(t *testing.T) {
	f := newFake(t, 200, nil, `{"ok":true,"result":{"message_id":7,"chat":{"id":-100555,"type":"channel"}}}`)
	res, err := f.client().Send(context.Background(), text("@mychannel", "hi"))
	require.NoError(t, err)
	assert.Equal(t, "@mychannel", f.body["chat_id"])
	assert.Equal(t, "-100555:7", res.ExternalID, "the numeric chat id from the result keys the message")
}

func TestSendAttachments(t *testing.T) {
	tests := []struct {
		name   string
		att    chatcenter.Attachment
		method string
		body   map[string]any
	}{
		{"image with caption", chatcenter.Attachment{Type: "image", URL: "https://example.com/a.jpg", Caption: "look"},
			"sendPhoto", map[string]any{"chat_id": json.Number("42"), "photo": "https://example.com/a.jpg", "caption": "look"}},
		{"file", chatcenter.Attachment{Type: "file", URL: "https://example.com/a.pdf"},
			"sendDocument", map[string]any{"chat_id": json.Number("42"), "document": "https://example.com/a.pdf"}},
		{"voice", chatcenter.Attachment{Type: "voice", URL: "https://example.com/a.ogg"},
			"sendVoice", map[string]any{"chat_id": json.Number("42"), "voice": "https://example.com/a.ogg"}},
		{"audio", chatcenter.Attachment{Type: "audio", URL: "https://example.com/a.mp3"},
			"sendAudio", map[string]any{"chat_id": json.Number("42"), "audio": "https://example.com/a.mp3"}},
		{"video", chatcenter.Attachment{Type: "video", URL: "https://example.com/a.mp4"},
			"sendVideo", map[string]any{"chat_id": json.Number("42"), "video": "https://example.com/a.mp4"}},
		{"image by file id", chatcenter.Attachment{Type: "image", ProviderFileID: "AgADAQAD"},
			"sendPhoto", map[string]any{"chat_id": json.Number("42"), "photo": "AgADAQAD"}},
		{"url wins over file id", chatcenter.Attachment{Type: "file", URL: "https://example.com/b.pdf", ProviderFileID: "BQAD"},
			"sendDocument", map[string]any{"chat_id": json.Number("42"), "document": "https://example.com/b.pdf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, 200, nil, `{"ok":true,"result":{"message_id":9,"chat":{"id":42}}}`)
			att := tt.att
			res, err := f.client().Send(context.Background(), channels.OutboundMessage{
				Recipient: "42", Content: chatcenter.Content{Type: "attachment", Attachment: &att},
			})
			require.NoError(t, err)
			assert.Equal(t, "42:9", res.ExternalID)
			assert.Equal(t, http.MethodPost, f.method)
			assert.Equal(t, "/bot"+testToken+"/"+tt.method, f.path)
			assert.Equal(t, "application/json", f.ctype)
			assert.Equal(t, tt.body, f.body)
		})
	}
}

func TestSendRejectsWithoutCallingTelegram(t *testing.T) {
	for name, m := range map[string]channels.OutboundMessage{
		"location":         {Recipient: "42", Content: chatcenter.Content{Type: "location", Location: &chatcenter.Location{}}},
		"postback":         {Recipient: "42", Content: chatcenter.Content{Type: "postback", Postback: &chatcenter.Postback{Payload: "x"}}},
		"nil attachment":   {Recipient: "42", Content: chatcenter.Content{Type: "attachment"}},
		"sticker":          {Recipient: "42", Content: chatcenter.Content{Type: "attachment", Attachment: &chatcenter.Attachment{Type: "sticker", ProviderFileID: "x"}}},
		"no url nor id":    {Recipient: "42", Content: chatcenter.Content{Type: "attachment", Attachment: &chatcenter.Attachment{Type: "image"}}},
		"no recipient":     {Content: chatcenter.Content{Type: "text", Text: "hi"}},
		"empty type":       {Recipient: "42"},
		"unsupported kind": {Recipient: "42", Content: chatcenter.Content{Type: "unsupported"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, 200, nil, `{"ok":true,"result":{"message_id":1}}`)
			_, err := f.client().Send(context.Background(), m)
			var pe *channels.PermanentError
			require.ErrorAs(t, err, &pe)
			assert.Zero(t, f.calls)
		})
	}
	_, err := NewClient(Config{BotToken: testToken}, nil).Send(context.Background(),
		channels.OutboundMessage{Recipient: "42", Content: chatcenter.Content{Type: "location"}})
	assert.ErrorContains(t, err, "unsupported content type")
}

func TestSendErrors(t *testing.T) {
	retryAfter := http.Header{"Retry-After": {"7"}}
	tests := []struct {
		name      string
		status    int
		header    http.Header
		body      string
		permanent *channels.PermanentError
		rateLimit *channels.RateLimitError
	}{
		{name: "429 with retry_after", status: 429,
			body:      `{ "ok": false, "error_code":429, "description":"Too Many Requests: retry after 30", "parameters": {"retry_after": 30} }`,
			rateLimit: &channels.RateLimitError{RetryAfter: 30 * time.Second, Reason: "Too Many Requests: retry after 30"}},
		{name: "429 parameters win over the header", status: 429, header: retryAfter,
			body:      `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`,
			rateLimit: &channels.RateLimitError{RetryAfter: 3 * time.Second, Reason: "Too Many Requests: retry after 3"}},
		{name: "429 without parameters uses Retry-After", status: 429, header: retryAfter,
			body:      `{"ok":false,"error_code":429,"description":"Too Many Requests"}`,
			rateLimit: &channels.RateLimitError{RetryAfter: 7 * time.Second, Reason: "Too Many Requests"}},
		{name: "429 with nothing defaults to a second", status: 429,
			body:      `{"ok":false,"error_code":429,"description":"Too Many Requests"}`,
			rateLimit: &channels.RateLimitError{RetryAfter: time.Second, Reason: "Too Many Requests"}},
		{name: "429 non-JSON", status: 429, header: retryAfter, body: `<html>slow down</html>`,
			rateLimit: &channels.RateLimitError{RetryAfter: 7 * time.Second, Reason: "Too Many Requests"}},
		{name: "blocked", status: 403,
			body:      `{ "ok": false, "error_code":403, "description":"Forbidden: bot was blocked by the user"}`,
			permanent: &channels.PermanentError{Code: 403, Reason: "Forbidden: bot was blocked by the user"}},
		{name: "chat not found", status: 400,
			body:      `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`,
			permanent: &channels.PermanentError{Code: 400, Reason: "Bad Request: chat not found"}},
		{name: "bad token", status: 401,
			body:      `{"ok":false,"error_code":401,"description":"Unauthorized"}`,
			permanent: &channels.PermanentError{Code: 401, Reason: "Unauthorized"}},
		{name: "bot domain invalid", status: 400,
			body:      `{ "ok": false, "error_code":400, "description":"Bot domain invalid." }`,
			permanent: &channels.PermanentError{Code: 400, Reason: "Bot domain invalid."}},
		{name: "group migrated", status: 400,
			body:      `{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234567890}}`,
			permanent: &channels.PermanentError{Code: 400, Reason: "Bad Request: group chat was upgraded to a supergroup chat (chat migrated to chat id -1001234567890)"}},
		{name: "4xx without description", status: 404, body: `{"ok":false,"error_code":404}`,
			permanent: &channels.PermanentError{Code: 404, Reason: "Not Found"}},
		{name: "500", status: 500, body: `{"ok":false,"error_code":500,"description":"Internal Server Error"}`},
		{name: "502 from a proxy", status: 502, body: `<html>Bad Gateway</html>`},
		{name: "200 non-JSON", status: 200, body: `OK`},
		{name: "200 without message_id", status: 200, body: `{"ok":true,"result":{}}`},
		{name: "200 ok false without code", status: 200, body: `{"ok":false}`},
		{name: "description quoting the token", status: 500, body: `{"ok":false,"error_code":500,"description":"boom at /bot` + testToken + `/sendMessage"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.status, tt.header, tt.body)
			_, err := f.client().Send(context.Background(), text("42", "hi"))
			require.Error(t, err)
			assert.NotContains(t, err.Error(), testToken)

			var pe *channels.PermanentError
			var rl *channels.RateLimitError
			switch {
			case tt.permanent != nil:
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tt.permanent, pe)
			case tt.rateLimit != nil:
				require.ErrorAs(t, err, &rl)
				assert.Equal(t, tt.rateLimit, rl)
			default:
				assert.False(t, errors.As(err, &pe), "must be retryable, got permanent %v", err)
				assert.False(t, errors.As(err, &rl), "must be retryable, got rate limit %v", err)
			}
		})
	}
}

func TestNetworkErrorsHideToken(t *testing.T) {
	f := newFake(t, 200, nil, `{}`)
	url := f.srv.URL
	f.srv.Close() // connection refused from here on
	c := NewClient(Config{BotToken: testToken, APIBaseURL: url}, nil)
	_, err := c.Send(context.Background(), text("42", "hi"))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), testToken)
	assert.Contains(t, err.Error(), "sendMessage")
	var pe *channels.PermanentError
	assert.False(t, errors.As(err, &pe))
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
		assert.NotContains(t, u.Error(), testToken, "wrapped errors must not leak the token either")
	}

	// A cancelled context stays recognisable through the redaction.
	f2 := newFake(t, 200, nil, `{"ok":true,"result":{"message_id":1}}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = f2.client().Send(ctx, text("42", "hi"))
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, err.Error(), testToken)
}

func TestSetWebhook(t *testing.T) {
	f := newFake(t, 200, nil, `{"ok":true,"result":true,"description":"Webhook was set"}`)
	err := f.client().SetWebhook(context.Background(), "https://chat.example.com/webhooks/telegram/ch_1", "s3cr3t")
	require.NoError(t, err)
	assert.Equal(t, http.MethodPost, f.method)
	assert.Equal(t, "/bot"+testToken+"/setWebhook", f.path)
	assert.Equal(t, "application/json", f.ctype)
	assert.Equal(t, map[string]any{
		"url":             "https://chat.example.com/webhooks/telegram/ch_1",
		"secret_token":    "s3cr3t",
		"allowed_updates": []any{"message", "edited_message", "callback_query"},
	}, f.body)

	bad := newFake(t, 400, nil, `{"ok":false,"error_code":400,"description":"Bad Request: bad webhook: HTTPS url must be provided for webhook"}`)
	err = bad.client().SetWebhook(context.Background(), "http://x", "s3cr3t")
	var pe *channels.PermanentError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Reason, "HTTPS url must be provided")
}

func TestAnswerCallbackQuery(t *testing.T) {
	f := newFake(t, 200, nil, `{"ok":true,"result":true}`)
	require.NoError(t, f.client().AnswerCallbackQuery(context.Background(), "4382bfdwdsb323b2d9"))
	assert.Equal(t, "/bot"+testToken+"/answerCallbackQuery", f.path)
	assert.Equal(t, map[string]any{"callback_query_id": "4382bfdwdsb323b2d9"}, f.body)

	var pe *channels.PermanentError
	assert.ErrorAs(t, f.client().AnswerCallbackQuery(context.Background(), ""), &pe)
}

func TestNewClientDefaultTimeout(t *testing.T) {
	c := NewClient(Config{}, nil)
	assert.Equal(t, 30*time.Second, c.hc.Timeout)
}

// uploadFile is an OutboundFile over content that counts how often it was opened.
func uploadFile(name, mimeType string, content []byte, opens *int) *channels.OutboundFile {
	return &channels.OutboundFile{Name: name, MimeType: mimeType, Size: int64(len(content)),
		Open: func(context.Context) (io.ReadCloser, error) {
			*opens++
			return io.NopCloser(bytes.NewReader(content)), nil
		}}
}

// TestSendUploadsOwnFiles: a file of ours goes to Telegram as multipart/form-data, as the Bot API
// documents uploads: the parameters as fields (chat_id a number, reply_markup JSON), the bytes in
// the method's file field with the file's name and type; no URL is handed out.
func TestSendUploadsOwnFiles(t *testing.T) {
	content := []byte("name,amount\nAda,42\n")
	f := newFake(t, 200, nil, `{"ok":true,"result":{"message_id":140,"chat":{"id":1111111,"type":"private"}}}`)
	opens := 0
	m := channels.OutboundMessage{Recipient: "1111111", Content: chatcenter.Content{Type: chatcenter.ContentAttachment,
		Attachment: &chatcenter.Attachment{Type: chatcenter.AttachmentFile, FileID: 7, URL: "https://chat.example.com/files/public/tok", Caption: `Your "report"`}},
		File: uploadFile(`report "Q3".csv`, "text/csv", content, &opens)}
	res, err := f.client().Send(context.Background(), m)
	require.NoError(t, err)
	assert.Equal(t, "1111111:140", res.ExternalID)
	assert.Equal(t, 1, opens)
	assert.Equal(t, "/bot"+testToken+"/sendDocument", f.path)

	mediaType, params, err := mime.ParseMediaType(f.ctype)
	require.NoError(t, err)
	require.Equal(t, "multipart/form-data", mediaType)
	form, err := multipart.NewReader(bytes.NewReader(f.rawBody), params["boundary"]).ReadForm(1 << 20)
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"chat_id": {"1111111"}, "caption": {`Your "report"`}}, form.Value)
	require.Len(t, form.File["document"], 1)
	fh := form.File["document"][0]
	assert.Equal(t, `report "Q3".csv`, fh.Filename)
	assert.Equal(t, "text/csv", fh.Header.Get("Content-Type"))
	got, err := fh.Open()
	require.NoError(t, err)
	b, _ := io.ReadAll(got)
	assert.Equal(t, content, b, "the bytes arrive unchanged")
	assert.EqualValues(t, len(f.rawBody), f.length, "the upload states its length instead of being chunked")

	// Each attempt opens the file again; a refusal maps like any other answer.
	f = newFake(t, 403, nil, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`)
	m.Content.Attachment.Type, m.File = chatcenter.AttachmentImage, uploadFile("photo.png", "image/png", []byte("\x89PNG"), &opens)
	_, err = f.client().Send(context.Background(), m)
	var perm *channels.PermanentError
	require.ErrorAs(t, err, &perm)
	assert.Equal(t, "Forbidden: bot was blocked by the user", perm.Reason)
	assert.Equal(t, "/bot"+testToken+"/sendPhoto", f.path)
	assert.Equal(t, 2, opens)
}

// TestSendUploadRefusals: files over Telegram's upload limits fail with a reason before any call;
// a file that cannot be opened returns the opener's error (permanent when the file is gone).
func TestSendUploadRefusals(t *testing.T) {
	f := newFake(t, 200, nil, `{"ok":true,"result":{"message_id":1,"chat":{"id":1}}}`)
	att := func(typ string) chatcenter.Content {
		return chatcenter.Content{Type: chatcenter.ContentAttachment, Attachment: &chatcenter.Attachment{Type: typ, FileID: 7}}
	}
	opens := 0
	for name, tc := range map[string]struct {
		typ  string
		size int64
		want string
	}{
		"photo over 10 MB": {chatcenter.AttachmentImage, 10<<20 + 1, "photos of at most 10 MB"},
		"file over 50 MB":  {chatcenter.AttachmentFile, 50<<20 + 1, "files of at most 50 MB"},
		"video over 50 MB": {chatcenter.AttachmentVideo, 50<<20 + 1, "files of at most 50 MB"},
	} {
		file := uploadFile("big", "application/octet-stream", nil, &opens)
		file.Size = tc.size
		_, err := f.client().Send(context.Background(), channels.OutboundMessage{Recipient: "1", Content: att(tc.typ), File: file})
		var perm *channels.PermanentError
		require.ErrorAs(t, err, &perm, name)
		assert.Contains(t, perm.Reason, tc.want, name)
	}
	assert.Zero(t, f.calls)
	assert.Zero(t, opens)

	// A file shorter than its recorded size never reaches Telegram as a complete request.
	short := uploadFile("short.pdf", "application/pdf", []byte("abc"), &opens)
	short.Size = 10
	_, err := f.client().Send(context.Background(), channels.OutboundMessage{Recipient: "1", Content: att(chatcenter.AttachmentFile), File: short})
	require.Error(t, err)
	if f.calls > 0 {
		assert.Less(t, int64(len(f.rawBody)), f.length, "the server saw a body cut short of its stated length")
	}
	calls := f.calls

	gone := &channels.PermanentError{Reason: "the file was deleted"}
	_, err = f.client().Send(context.Background(), channels.OutboundMessage{Recipient: "1", Content: att(chatcenter.AttachmentFile),
		File: &channels.OutboundFile{Name: "x.pdf", Size: 3, Open: func(context.Context) (io.ReadCloser, error) { return nil, gone }}})
	require.ErrorIs(t, err, gone)
	assert.Equal(t, calls, f.calls)
}

// TestDownload: getFile names the path, and the bytes come from /file/bot<token>/<path>, as the
// Bot API documents; oversized and unknown files are refused with a reason.
func TestDownload(t *testing.T) {
	photo := []byte("\xff\xd8\xff\xe0 a jpeg")
	var getFileBody map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/bot"+testToken+"/getFile":
			getFileBody = nil
			_ = json.NewDecoder(r.Body).Decode(&getFileBody)
			switch getFileBody["file_id"] {
			case "AgACAgQ":
				_, _ = io.WriteString(w, `{"ok":true,"result":{"file_id":"AgACAgQ","file_unique_id":"AQAD","file_size":16,"file_path":"photos/file_1.jpg"}}`)
			case "BIG":
				_, _ = io.WriteString(w, `{"ok":true,"result":{"file_id":"BIG","file_unique_id":"AQAE","file_size":20971521}}`)
			default:
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`)
			}
		case r.Method == http.MethodGet && r.URL.Path == "/file/bot"+testToken+"/photos/file_1.jpg":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(photo)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	c := NewClient(Config{BotToken: testToken, SecretToken: "s", APIBaseURL: srv.URL}, srv.Client())

	rc, err := c.Download(context.Background(), "AgACAgQ")
	require.NoError(t, err)
	got, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, photo, got)
	assert.Equal(t, map[string]any{"file_id": "AgACAgQ"}, getFileBody)

	for id, want := range map[string]string{"BIG": "at most 20 MB", "nope": "invalid file_id"} {
		_, err := c.Download(context.Background(), id)
		var perm *channels.PermanentError
		require.ErrorAs(t, err, &perm, id)
		assert.Contains(t, perm.Reason, want, id)
		assert.NotContains(t, err.Error(), testToken)
	}
}
