package custom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
)

// maxResponseBytes bounds what we read of an integration's answer; real answers are tiny.
const maxResponseBytes = 1 << 20

// Client sends outbound messages to one custom channel's integration server. It is safe for
// concurrent use.
type Client struct {
	cfg       Config
	channelID string
	hc        *http.Client
}

// NewClient returns a client for cfg; channelID is echoed in every request so that one integration
// server can serve several channels. A nil hc gets a client with a 30 s timeout, because the
// default client has none and a hung integration would stall a send forever.
func NewClient(cfg Config, channelID string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{cfg: cfg, channelID: channelID, hc: hc}
}

type outMessage struct {
	Type       string         `json:"type"`
	Text       string         `json:"text,omitempty"`
	Attachment *outAttachment `json:"attachment,omitempty"`
	// Buttons are reply buttons under a text. An integration shows them however its channel can
	// (quick replies, a numbered list) and reports a press as a postback message with the payload.
	Buttons []outButton `json:"buttons,omitempty"`
}

type outButton struct {
	Title   string `json:"title"`
	Payload string `json:"payload"`
}

type outAttachment struct {
	Type string `json:"type"`
	URL  string `json:"url"`
	// Description carries the caption. The published protocol only shows type and url; receivers
	// ignore fields they do not know, and dropping the caption silently would be worse.
	Description string `json:"description,omitempty"`
}

type outRequest struct {
	ChannelID string     `json:"channelId"`
	ContactID string     `json:"contactId"`
	Message   outMessage `json:"message"`
}

// Send POSTs m to {api_url}/message and returns the integration's message id. Rejections
// (4xx other than 429) are *channels.PermanentError with the integration's message, 429 is
// *channels.RateLimitError, and anything else is worth retrying. m.IdempotencyKey is passed as the
// Idempotency-Key header so that an integration can drop the duplicates retries may cause.
func (c *Client) Send(ctx context.Context, m channels.OutboundMessage) (channels.SendResult, error) {
	if m.Recipient == "" {
		return channels.SendResult{}, &channels.PermanentError{Reason: "recipient is required"}
	}
	msg, err := outboundMessage(m.Content)
	if err != nil {
		return channels.SendResult{}, err
	}
	body, err := json.Marshal(outRequest{ChannelID: c.channelID, ContactID: m.Recipient, Message: msg})
	if err != nil {
		return channels.SendResult{}, &channels.PermanentError{Reason: "cannot encode request: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.endpoint(), bytes.NewReader(body))
	if err != nil {
		return channels.SendResult{}, c.errorf("cannot build request", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.APIToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if m.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", m.IdempotencyKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return channels.SendResult{}, c.errorf("request failed", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return channels.SendResult{}, c.errorf("reading response failed", err)
	}

	switch code := resp.StatusCode; {
	case code/100 == 2:
		var r struct {
			MID json.RawMessage `json:"mId"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return channels.SendResult{}, fmt.Errorf("custom channel: HTTP %d with an unreadable body: %v", code, err)
		}
		if id := messageID(r.MID); id != "" {
			return channels.SendResult{ExternalID: id}, nil
		}
		// Without an id we cannot match status updates to the message; the integration should
		// answer properly on the next attempt (and dedupe by Idempotency-Key).
		return channels.SendResult{}, fmt.Errorf("custom channel: HTTP %d without mId", code)
	case code == http.StatusTooManyRequests:
		return channels.SendResult{}, &channels.RateLimitError{RetryAfter: channels.RetryAfter(resp.Header), Reason: c.reason(code, data)}
	case code >= 400 && code < 500:
		return channels.SendResult{}, &channels.PermanentError{Code: code, Reason: c.reason(code, data)}
	}
	return channels.SendResult{}, fmt.Errorf("custom channel: HTTP %d: %s", resp.StatusCode, c.reason(resp.StatusCode, data))
}

// outboundMessage maps content to the protocol's message union.
func outboundMessage(ct chatcenter.Content) (outMessage, error) {
	switch ct.Type {
	case chatcenter.ContentText:
		msg := outMessage{Type: "text", Text: ct.Text}
		for _, b := range ct.Buttons {
			msg.Buttons = append(msg.Buttons, outButton{Title: b.Title, Payload: b.Payload})
		}
		return msg, nil
	case chatcenter.ContentAttachment:
		a := ct.Attachment
		if a == nil {
			return outMessage{}, &channels.PermanentError{Reason: "attachment is missing"}
		}
		kind := a.Type
		switch kind {
		case chatcenter.AttachmentImage, chatcenter.AttachmentVideo, chatcenter.AttachmentAudio, chatcenter.AttachmentFile:
		case chatcenter.AttachmentVoice:
			// The protocol has no voice type, and the seed's rule is that a recording goes out as a
			// voice note where the channel supports one and as a file everywhere else.
			kind = chatcenter.AttachmentFile
		default:
			return outMessage{}, &channels.PermanentError{Reason: fmt.Sprintf("unsupported attachment type %q", a.Type)}
		}
		if a.URL == "" {
			// Provider file ids mean nothing to a foreign integration; it needs a URL to fetch.
			return outMessage{}, &channels.PermanentError{Reason: "attachment url is required"}
		}
		return outMessage{Type: "attachment", Attachment: &outAttachment{Type: kind, URL: a.URL, Description: a.Caption}}, nil
	}
	return outMessage{}, &channels.PermanentError{Reason: fmt.Sprintf("unsupported content type %q", ct.Type)}
}

// messageID accepts mId as a string or a number: the example integration passes through whatever
// its SMS provider returned.
func messageID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// reason extracts {"error":{"message":...}} from an error answer, falling back to the status text.
// It is redacted because it ends up on the failed message where agents read it.
func (c *Client) reason(code int, data []byte) string {
	var r struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &r) == nil && strings.TrimSpace(r.Error.Message) != "" {
		return c.redact(r.Error.Message)
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "HTTP " + strconv.Itoa(code)
}

// redact removes the API token from text we did not write ourselves.
func (c *Client) redact(s string) string {
	return channels.Redact(s, c.cfg.APIToken)
}

// errorf builds a retryable error for a transport failure. The api_url may carry credentials of
// its own (user info, query parameters), so *url.Error's quoting of it is dropped in favour of
// its cause.
func (c *Client) errorf(what string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &transportError{msg: fmt.Sprintf("custom channel: POST /message: %s: %s", what, c.redact(err.Error())), err: err}
}

// transportError carries a redacted message while still unwrapping to the cause, so callers can
// tell context cancellation and timeouts apart.
type transportError struct {
	msg string
	err error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }
