package custom

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
)

const testToken = "tok_0123456789abcdef"

// fakeIntegration records the request it receives and answers with a canned status and body.
type fakeIntegration struct {
	srv    *httptest.Server
	method string
	path   string
	header http.Header
	body   map[string]any
	calls  int
}

func newFake(t *testing.T, status int, header http.Header, answer string) *fakeIntegration {
	t.Helper()
	f := &fakeIntegration{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls++
		f.method, f.path, f.header = r.Method, r.URL.Path, r.Header.Clone()
		raw, _ := io.ReadAll(r.Body)
		f.body = nil
		_ = json.Unmarshal(raw, &f.body)
		for k, vs := range header {
			w.Header()[k] = vs
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIntegration) client(path string) *Client {
	return NewClient(Config{APIURL: f.srv.URL + path, APIToken: testToken}, "ch_123", f.srv.Client())
}

func TestSendText(t *testing.T) {
	f := newFake(t, 200, nil, `{"mId":"clicksend-991"}`)
	res, err := f.client("/respond/").Send(context.Background(), channels.OutboundMessage{
		Recipient: "+60123456789", Content: chatcenter.Content{Type: "text", Text: "hello"}, IdempotencyKey: "msg_1:1",
	})
	require.NoError(t, err)
	assert.Equal(t, channels.SendResult{ExternalID: "clicksend-991"}, res)

	assert.Equal(t, http.MethodPost, f.method)
	assert.Equal(t, "/respond/message", f.path, "a trailing slash in api_url must not double up")
	assert.Equal(t, "Bearer "+testToken, f.header.Get("Authorization"))
	assert.Equal(t, "application/json", f.header.Get("Content-Type"))
	assert.Equal(t, "msg_1:1", f.header.Get("Idempotency-Key"))
	assert.Equal(t, map[string]any{
		"channelId": "ch_123",
		"contactId": "+60123456789",
		"message":   map[string]any{"type": "text", "text": "hello"},
	}, f.body)
}

func TestSendTextWithButtons(t *testing.T) {
	f := newFake(t, 200, nil, `{"mId":"m-2"}`)
	res, err := f.client("").Send(context.Background(), channels.OutboundMessage{
		Recipient: "+60123456789",
		Content: chatcenter.Content{Type: "text", Text: "Which team?", Buttons: []chatcenter.Button{
			{Title: "Sales", Payload: "team_sales"}, {Title: "Support", Payload: "team_support"},
		}},
	})
	require.NoError(t, err)
	assert.Equal(t, "m-2", res.ExternalID)
	assert.Equal(t, map[string]any{
		"channelId": "ch_123",
		"contactId": "+60123456789",
		"message": map[string]any{"type": "text", "text": "Which team?", "buttons": []any{
			map[string]any{"title": "Sales", "payload": "team_sales"},
			map[string]any{"title": "Support", "payload": "team_support"},
		}},
	}, f.body)
}

func TestSendAttachment(t *testing.T) {
	for name, tc := range map[string]struct {
		att  chatcenter.Attachment
		want map[string]any
	}{
		"image": {chatcenter.Attachment{Type: "image", URL: "https://cdn.example.com/a.jpg"},
			map[string]any{"type": "image", "url": "https://cdn.example.com/a.jpg"}},
		"file with caption": {chatcenter.Attachment{Type: "file", URL: "https://cdn.example.com/a.pdf", Caption: "invoice"},
			map[string]any{"type": "file", "url": "https://cdn.example.com/a.pdf", "description": "invoice"}},
		"voice goes as a file": {chatcenter.Attachment{Type: "voice", URL: "https://cdn.example.com/a.ogg"},
			map[string]any{"type": "file", "url": "https://cdn.example.com/a.ogg"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, 200, nil, `{"mId":"x1"}`)
			att := tc.att
			res, err := f.client("").Send(context.Background(), channels.OutboundMessage{
				Recipient: "user-42", Content: chatcenter.Content{Type: "attachment", Attachment: &att},
			})
			require.NoError(t, err)
			assert.Equal(t, "x1", res.ExternalID)
			assert.Equal(t, "/message", f.path)
			assert.Empty(t, f.header.Values("Idempotency-Key"), "no key, no header")
			assert.Equal(t, map[string]any{
				"channelId": "ch_123",
				"contactId": "user-42",
				"message":   map[string]any{"type": "attachment", "attachment": tc.want},
			}, f.body)
		})
	}
}

func TestSendNumericMID(t *testing.T) {
	f := newFake(t, 200, nil, `{"mId":1234567890123}`)
	res, err := f.client("").Send(context.Background(), channels.OutboundMessage{Recipient: "u", Content: chatcenter.Content{Type: "text", Text: "x"}})
	require.NoError(t, err)
	assert.Equal(t, "1234567890123", res.ExternalID)
}

func TestSendRejectsWithoutCalling(t *testing.T) {
	for name, m := range map[string]channels.OutboundMessage{
		"no recipient":    {Content: chatcenter.Content{Type: "text", Text: "x"}},
		"location":        {Recipient: "u", Content: chatcenter.Content{Type: "location", Location: &chatcenter.Location{}}},
		"nil attachment":  {Recipient: "u", Content: chatcenter.Content{Type: "attachment"}},
		"sticker":         {Recipient: "u", Content: chatcenter.Content{Type: "attachment", Attachment: &chatcenter.Attachment{Type: "sticker", URL: "https://x"}}},
		"file id, no url": {Recipient: "u", Content: chatcenter.Content{Type: "attachment", Attachment: &chatcenter.Attachment{Type: "image", ProviderFileID: "AgAD"}}},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, 200, nil, `{"mId":"x"}`)
			_, err := f.client("").Send(context.Background(), m)
			var pe *channels.PermanentError
			require.ErrorAs(t, err, &pe)
			assert.Zero(t, f.calls)
		})
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		header    http.Header
		body      string
		permanent *channels.PermanentError
		rateLimit *channels.RateLimitError
	}{
		{name: "400 with message", status: 400, body: `{"error":{"message":"401: UNAUTHORIZED"}}`,
			permanent: &channels.PermanentError{Code: 400, Reason: "401: UNAUTHORIZED"}},
		{name: "422 without body", status: 422,
			permanent: &channels.PermanentError{Code: 422, Reason: "Unprocessable Entity"}},
		{name: "401 HTML", status: 401, body: `<h1>nope</h1>`,
			permanent: &channels.PermanentError{Code: 401, Reason: "Unauthorized"}},
		{name: "429 with Retry-After", status: 429, header: http.Header{"Retry-After": {"12"}}, body: `{"error":{"message":"slow down"}}`,
			rateLimit: &channels.RateLimitError{RetryAfter: 12 * time.Second, Reason: "slow down"}},
		{name: "429 without Retry-After", status: 429,
			rateLimit: &channels.RateLimitError{RetryAfter: time.Second, Reason: "Too Many Requests"}},
		{name: "429 with garbage Retry-After", status: 429, header: http.Header{"Retry-After": {"soon"}},
			rateLimit: &channels.RateLimitError{RetryAfter: time.Second, Reason: "Too Many Requests"}},
		{name: "500", status: 500, body: `{"error":{"message":"db down"}}`},
		{name: "503 HTML", status: 503, body: `<html>maintenance</html>`},
		{name: "200 without mId", status: 200, body: `{}`},
		{name: "200 with empty mId", status: 200, body: `{"mId":""}`},
		{name: "200 with null mId", status: 200, body: `{"mId":null}`},
		{name: "200 non-JSON", status: 200, body: `OK`},
		{name: "200 empty", status: 200},
		{name: "error echoing the token", status: 400, body: `{"error":{"message":"bad token ` + testToken + `"}}`,
			permanent: &channels.PermanentError{Code: 400, Reason: "bad token <redacted>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.status, tt.header, tt.body)
			_, err := f.client("").Send(context.Background(), channels.OutboundMessage{
				Recipient: "u", Content: chatcenter.Content{Type: "text", Text: "x"},
			})
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

func TestSendNetworkError(t *testing.T) {
	f := newFake(t, 200, nil, `{"mId":"x"}`)
	u := f.srv.URL
	f.srv.Close()
	_, err := NewClient(Config{APIURL: u, APIToken: testToken}, "ch", nil).Send(context.Background(),
		channels.OutboundMessage{Recipient: "u", Content: chatcenter.Content{Type: "text", Text: "x"}})
	require.Error(t, err)
	var pe *channels.PermanentError
	var rl *channels.RateLimitError
	assert.False(t, errors.As(err, &pe))
	assert.False(t, errors.As(err, &rl))
	assert.NotContains(t, err.Error(), testToken)

	f2 := newFake(t, 200, nil, `{"mId":"x"}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = f2.client("").Send(ctx, channels.OutboundMessage{Recipient: "u", Content: chatcenter.Content{Type: "text", Text: "x"}})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestNewClientDefaultTimeout(t *testing.T) {
	assert.Equal(t, 30*time.Second, NewClient(Config{}, "c", nil).hc.Timeout)
}
