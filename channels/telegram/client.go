package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
)

// allowedUpdates are the update kinds SetWebhook subscribes to: the ones Parse turns into events.
// Subscribing to fewer saves Telegram and us the traffic of updates we would drop.
var allowedUpdates = []string{"message", "edited_message", "callback_query"}

// maxResponseBytes bounds what we read of a Bot API answer; real answers are a few KB.
const maxResponseBytes = 1 << 20

// Client calls the Bot API for one bot. It is safe for concurrent use.
type Client struct {
	cfg Config
	hc  *http.Client
}

// NewClient returns a client for cfg. A nil hc gets a client with a 30 s timeout, because the
// default client has none and a hung connection would stall a send forever.
func NewClient(cfg Config, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{cfg: cfg, hc: hc}
}

// Send delivers m and returns the id of the message Telegram created, in the same
// "{chat_id}:{message_id}" form Parse gives inbound messages. Failures Telegram will never accept
// (blocked bot, unknown chat, bad content) are *channels.PermanentError, throttling is
// *channels.RateLimitError, anything else is worth retrying.
func (c *Client) Send(ctx context.Context, m channels.OutboundMessage) (channels.SendResult, error) {
	if m.Recipient == "" {
		return channels.SendResult{}, &channels.PermanentError{Reason: "recipient is required"}
	}
	method, field, payload, err := sendRequest(m)
	if err != nil {
		return channels.SendResult{}, err
	}
	var res struct {
		MessageID int64 `json:"message_id"`
		Chat      *struct {
			ID int64 `json:"id"`
		} `json:"chat"`
	}
	if field != "" && m.File != nil {
		err = c.callUpload(ctx, method, payload, field, m.File, &res)
	} else {
		err = c.call(ctx, method, payload, &res)
	}
	if err != nil {
		return channels.SendResult{}, err
	}
	if res.MessageID == 0 {
		return channels.SendResult{}, fmt.Errorf("telegram %s: response has no message_id", method)
	}
	chatID := m.Recipient
	if res.Chat != nil && res.Chat.ID != 0 {
		// Prefer Telegram's numeric id: a recipient given as @username must still produce the key
		// that inbound messages and edits from that chat will use.
		chatID = strconv.FormatInt(res.Chat.ID, 10)
	}
	return channels.SendResult{ExternalID: chatID + ":" + strconv.FormatInt(res.MessageID, 10)}, nil
}

// Upload limits of the Bot API (files sent as multipart/form-data).
const (
	maxUploadPhoto = 10 << 20
	maxUploadFile  = 50 << 20
)

// sendRequest picks the Bot API method and body for m. For an attachment, field names the
// parameter that carries the file: a URL or file_id in payload, or — when m.File is set — the
// bytes, uploaded by the caller.
func sendRequest(m channels.OutboundMessage) (method, field string, payload map[string]any, err error) {
	p := map[string]any{"chat_id": chatID(m.Recipient)}
	switch m.Content.Type {
	case chatcenter.ContentText:
		p["text"] = m.Content.Text
		if len(m.Content.Buttons) > 0 {
			p["reply_markup"] = inlineKeyboard(m.Content.Buttons)
		}
		return "sendMessage", "", p, nil
	case chatcenter.ContentAttachment:
		a := m.Content.Attachment
		if a == nil {
			return "", "", nil, &channels.PermanentError{Reason: "attachment is missing"}
		}
		var method, field string
		switch a.Type {
		case chatcenter.AttachmentImage:
			method, field = "sendPhoto", "photo"
		case chatcenter.AttachmentFile:
			method, field = "sendDocument", "document"
		case chatcenter.AttachmentVoice:
			method, field = "sendVoice", "voice"
		case chatcenter.AttachmentAudio:
			method, field = "sendAudio", "audio"
		case chatcenter.AttachmentVideo:
			method, field = "sendVideo", "video"
		default:
			return "", "", nil, &channels.PermanentError{Reason: fmt.Sprintf("unsupported attachment type %q", a.Type)}
		}
		if a.Caption != "" {
			p["caption"] = a.Caption
		}
		if f := m.File; f != nil {
			// Our own files are uploaded: Telegram fetches documents by URL only when they are
			// PDF, ZIP or GIF, fetches nothing from a server it cannot reach (a local install),
			// and names the file after the link. Its upload limits are checked here so the agent
			// reads why rather than Telegram's terse refusal.
			if method == "sendPhoto" && f.Size > maxUploadPhoto {
				return "", "", nil, &channels.PermanentError{Reason: fmt.Sprintf("Telegram takes photos of at most 10 MB and %s is %.1f MB; send it as a file", f.Name, float64(f.Size)/(1<<20))}
			}
			if f.Size > maxUploadFile {
				return "", "", nil, &channels.PermanentError{Reason: fmt.Sprintf("Telegram bots can send files of at most 50 MB and %s is %.1f MB", f.Name, float64(f.Size)/(1<<20))}
			}
			return method, field, p, nil
		}
		// Otherwise Telegram gets a URL it downloads itself or the file_id of a file it already
		// holds (e.g. forwarding something a contact sent).
		ref := a.URL
		if ref == "" {
			ref = a.ProviderFileID
		}
		if ref == "" {
			return "", "", nil, &channels.PermanentError{Reason: "attachment has neither url nor provider_file_id"}
		}
		p[field] = ref
		return method, field, p, nil
	}
	return "", "", nil, &channels.PermanentError{Reason: fmt.Sprintf("unsupported content type %q", m.Content.Type)}
}

// inlineKeyboard puts each button on a row of its own under the message: titles stay readable at
// full width, and a press arrives as a callback query carrying the button's payload.
func inlineKeyboard(buttons []chatcenter.Button) map[string]any {
	rows := make([][]map[string]string, len(buttons))
	for i, b := range buttons {
		rows[i] = []map[string]string{{"text": b.Title, "callback_data": b.Payload}}
	}
	return map[string]any{"inline_keyboard": rows}
}

// chatID sends numeric ids as JSON numbers, as the Bot API documents them; anything else
// (@channelusername) goes as a string.
func chatID(recipient string) any {
	if n, err := strconv.ParseInt(recipient, 10, 64); err == nil {
		return n
	}
	return recipient
}

// MaxDownload is the largest file the Bot API lets a bot download.
const MaxDownload = 20 << 20

// Download returns the contents of a file a contact sent, by the file_id in its message: getFile
// names the file's path, valid for an hour, and the bytes come from the Bot API's file route. Files
// over MaxDownload, and file_ids Telegram does not know, are *channels.PermanentError.
func (c *Client) Download(ctx context.Context, fileID string) (io.ReadCloser, error) {
	var f struct {
		FileSize int64  `json:"file_size"`
		FilePath string `json:"file_path"`
	}
	if err := c.call(ctx, "getFile", map[string]any{"file_id": fileID}, &f); err != nil {
		return nil, err
	}
	if f.FileSize > MaxDownload {
		return nil, &channels.PermanentError{Reason: fmt.Sprintf("Telegram lets bots download files of at most 20 MB; this one is %.1f MB", float64(f.FileSize)/(1<<20))}
	}
	if f.FilePath == "" {
		return nil, &channels.PermanentError{Reason: "Telegram gave no path for this file"}
	}
	// The token is part of this URL too: errors keep only their cause (errorf).
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.BaseURL()+"/file/bot"+c.cfg.BotToken+"/"+f.FilePath, nil)
	if err != nil {
		return nil, c.errorf("file download", "cannot build request", err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.errorf("file download", "request failed", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil, &channels.PermanentError{Code: resp.StatusCode, Reason: "Telegram no longer has this file"}
		}
		return nil, fmt.Errorf("telegram file download: HTTP %d", resp.StatusCode)
	}
	return resp.Body, nil
}

// SetWebhook points the bot at url and asks Telegram to send secretToken with every call, limited
// to the update kinds Parse understands.
func (c *Client) SetWebhook(ctx context.Context, webhookURL, secretToken string) error {
	return c.call(ctx, "setWebhook", map[string]any{
		"url":             webhookURL,
		"secret_token":    secretToken,
		"allowed_updates": allowedUpdates,
	}, nil)
}

// AnswerCallbackQuery acknowledges a button press; until it is answered the user's client shows a
// spinner on the button.
func (c *Client) AnswerCallbackQuery(ctx context.Context, callbackID string) error {
	if callbackID == "" {
		return &channels.PermanentError{Reason: "callback id is required"}
	}
	return c.call(ctx, "answerCallbackQuery", map[string]any{"callback_query_id": callbackID}, nil)
}

// apiResponse is the envelope of every Bot API answer.
type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// call POSTs payload as JSON to method and decodes the result into out (if not nil), mapping
// failures to the error kinds the send engine distinguishes.
func (c *Client) call(ctx context.Context, method string, payload, out any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return &channels.PermanentError{Reason: "cannot encode request: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(method), bytes.NewReader(body))
	if err != nil {
		return c.errorf(method, "cannot build request", err)
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, method, out)
}

// callUpload POSTs payload as multipart/form-data with f's bytes as the part named field, the
// Bot API's way to send a file. The bytes stream from f.Open to Telegram without being held in
// memory, and the request states its length: the form around the file is built first and the
// file's size is known.
func (c *Client) callUpload(ctx context.Context, method string, payload map[string]any, field string, f *channels.OutboundFile, out any) error {
	prefix, suffix, contentType, err := uploadForm(payload, field, f)
	if err != nil {
		return &channels.PermanentError{Reason: "cannot encode request: " + err.Error()}
	}
	rc, err := f.Open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	body := io.MultiReader(bytes.NewReader(prefix), io.LimitReader(rc, f.Size), bytes.NewReader(suffix))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(method), body)
	if err != nil {
		return c.errorf(method, "cannot build request", err)
	}
	// A file shorter than its recorded size fails the request rather than sending a short form.
	req.ContentLength = int64(len(prefix)) + f.Size + int64(len(suffix))
	req.Header.Set("Content-Type", contentType)
	return c.do(req, method, out)
}

// uploadForm returns what goes before and after the file's bytes in the multipart body:
// payload's parameters (strings as they are, anything else as JSON, which is how the Bot API
// reads numbers and reply_markup), the file part's header, and the closing boundary.
func uploadForm(payload map[string]any, field string, f *channels.OutboundFile) (prefix, suffix []byte, contentType string, err error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	keys := make([]string, 0, len(payload))
	for k := range payload {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := payload[k].(string)
		if !ok {
			b, err := json.Marshal(payload[k])
			if err != nil {
				return nil, nil, "", err
			}
			v = string(b)
		}
		if err := mw.WriteField(k, v); err != nil {
			return nil, nil, "", err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, quoteEscaper.Replace(field), quoteEscaper.Replace(f.Name)))
	mimeType := f.MimeType
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	h.Set("Content-Type", mimeType)
	if _, err := mw.CreatePart(h); err != nil {
		return nil, nil, "", err
	}
	n := buf.Len()
	if err := mw.Close(); err != nil {
		return nil, nil, "", err
	}
	b := buf.Bytes()
	return b[:n:n], b[n:], mw.FormDataContentType(), nil
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")

// endpoint is the URL of a Bot API method. The token is part of the path, so neither this URL nor
// errors that quote it may escape.
func (c *Client) endpoint(method string) string {
	return c.cfg.BaseURL() + "/bot" + c.cfg.BotToken + "/" + method
}

// do sends req and decodes the Bot API's answer into out (if not nil), mapping failures to the
// error kinds the send engine distinguishes.
func (c *Client) do(req *http.Request, method string, out any) error {
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.errorf(method, "request failed", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return c.errorf(method, "reading response failed", err)
	}

	var r apiResponse
	if err := json.Unmarshal(data, &r); err != nil {
		// Not Telegram speaking (a proxy, a load balancer): transient as far as we can tell, but a
		// bare 429 is still throttling.
		if resp.StatusCode == http.StatusTooManyRequests {
			return &channels.RateLimitError{RetryAfter: channels.RetryAfter(resp.Header), Reason: "Too Many Requests"}
		}
		return fmt.Errorf("telegram %s: HTTP %d with a non-JSON body", method, resp.StatusCode)
	}
	if r.OK && resp.StatusCode/100 == 2 {
		if out != nil && len(r.Result) > 0 {
			if err := json.Unmarshal(r.Result, out); err != nil {
				return fmt.Errorf("telegram %s: unexpected result: %v", method, err)
			}
		}
		return nil
	}

	code := r.ErrorCode
	if code == 0 {
		code = resp.StatusCode
	}
	desc := c.redact(r.Description)
	if desc == "" {
		desc = http.StatusText(code)
	}
	switch {
	case code == http.StatusTooManyRequests || (r.Parameters != nil && r.Parameters.RetryAfter > 0):
		wait := channels.RetryAfter(resp.Header)
		if r.Parameters != nil && r.Parameters.RetryAfter > 0 {
			wait = time.Duration(r.Parameters.RetryAfter) * time.Second
		}
		return &channels.RateLimitError{RetryAfter: wait, Reason: desc}
	case r.Parameters != nil && r.Parameters.MigrateToChatID != 0:
		// A group became a supergroup and has a new id; resending to the old one can never work,
		// so the reason carries the new id for whoever re-keys the contact.
		return &channels.PermanentError{
			Code:   code,
			Reason: fmt.Sprintf("%s (chat migrated to chat id %d)", desc, r.Parameters.MigrateToChatID),
		}
	case code >= 400 && code < 500:
		return &channels.PermanentError{Code: code, Reason: desc}
	}
	return fmt.Errorf("telegram %s: error %d: %s", method, code, desc)
}

// redact removes the bot token from s: any text we did not write ourselves might quote the URL.
func (c *Client) redact(s string) string {
	return channels.Redact(s, c.cfg.BotToken)
}

// errorf builds a retryable error for a transport failure. *url.Error quotes the full URL, token
// included, so we keep only its cause, and redact that too in case it repeats the URL.
func (c *Client) errorf(method, what string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &transportError{msg: fmt.Sprintf("telegram %s: %s: %s", method, what, c.redact(err.Error())), err: err}
}

// transportError carries a redacted message while still unwrapping to the cause, so callers can
// tell context cancellation and timeouts apart.
type transportError struct {
	msg string
	err error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }
