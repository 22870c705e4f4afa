// Package provider is the one place that knows every channel type: it validates a channel's
// configuration, extracts the token a provider presents on webhooks, parses webhook bodies and
// builds the client that sends. Callers stay free of per-provider switches.
package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
	"github.com/chatcenterhq/chatcenter/channels/custom"
	"github.com/chatcenterhq/chatcenter/channels/telegram"
)

// Sender sends one message through a provider.
type Sender interface {
	Send(ctx context.Context, m channels.OutboundMessage) (channels.SendResult, error)
}

// Config is a validated channel configuration.
type Config struct {
	// JSON is the normalised configuration, sealed before it is stored.
	JSON []byte
	// WebhookSecret is what the provider presents on every webhook; only its hash is stored.
	WebhookSecret string
	// Public holds the settings that are safe to show (base URLs), never tokens.
	Public map[string]any
}

// ParseConfig validates the configuration an API client gave for a channel of type t.
func ParseConfig(t chatcenter.ChannelType, raw json.RawMessage) (Config, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return Config{}, chatcenter.Errorf(chatcenter.EINVALID, "config is required")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	switch t {
	case chatcenter.ChannelTelegram:
		var c telegram.Config
		if err := dec.Decode(&c); err != nil {
			return Config{}, chatcenter.Errorf(chatcenter.EINVALID, "config: %s", cleanJSONError(err))
		}
		if err := c.Validate(); err != nil {
			return Config{}, err
		}
		b, _ := json.Marshal(c)
		return Config{JSON: b, WebhookSecret: c.SecretToken, Public: map[string]any{"api_base_url": c.BaseURL()}}, nil
	case chatcenter.ChannelCustom:
		var c custom.Config
		if err := dec.Decode(&c); err != nil {
			return Config{}, chatcenter.Errorf(chatcenter.EINVALID, "config: %s", cleanJSONError(err))
		}
		if err := c.Validate(); err != nil {
			return Config{}, err
		}
		b, _ := json.Marshal(c)
		return Config{JSON: b, WebhookSecret: c.APIToken, Public: map[string]any{"api_url": c.APIURL}}, nil
	}
	return Config{}, chatcenter.Errorf(chatcenter.EINVALID, "unsupported channel type %q (supported: telegram, custom)", t)
}

// PublicConfig returns the displayable part of a stored configuration.
func PublicConfig(t chatcenter.ChannelType, cfgJSON []byte) map[string]any {
	c, err := ParseConfig(t, cfgJSON)
	if err != nil {
		return map[string]any{}
	}
	return c.Public
}

// WebhookToken extracts the shared secret a provider presents on a webhook request.
func WebhookToken(t chatcenter.ChannelType, h http.Header) string {
	switch t {
	case chatcenter.ChannelTelegram:
		return h.Get("X-Telegram-Bot-Api-Secret-Token")
	case chatcenter.ChannelCustom:
		auth := h.Get("Authorization")
		if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
			return strings.TrimSpace(auth[7:])
		}
	}
	return ""
}

// Parse turns a webhook body into neutral events.
func Parse(t chatcenter.ChannelType, body []byte) ([]channels.InboundEvent, error) {
	switch t {
	case chatcenter.ChannelTelegram:
		return telegram.Parse(body)
	case chatcenter.ChannelCustom:
		return custom.Parse(body)
	}
	return nil, fmt.Errorf("unsupported channel type %q", t)
}

// NewSender builds the provider client for a stored configuration.
func NewSender(t chatcenter.ChannelType, cfgJSON []byte, channelID int64, hc *http.Client) (Sender, error) {
	switch t {
	case chatcenter.ChannelTelegram:
		var c telegram.Config
		if err := json.Unmarshal(cfgJSON, &c); err != nil {
			return nil, fmt.Errorf("decode telegram config: %w", err)
		}
		return telegram.NewClient(c, hc), nil
	case chatcenter.ChannelCustom:
		var c custom.Config
		if err := json.Unmarshal(cfgJSON, &c); err != nil {
			return nil, fmt.Errorf("decode custom config: %w", err)
		}
		return custom.NewClient(c, strconv.FormatInt(channelID, 10), hc), nil
	}
	return nil, fmt.Errorf("unsupported channel type %q", t)
}

// SupportsButtons reports whether messages on channels of type t can carry reply buttons:
// Telegram shows them as an inline keyboard and the custom channel passes them to its
// integration. Elsewhere a message with buttons goes out as chatcenter.Content.TextWithChoices.
func SupportsButtons(t chatcenter.ChannelType) bool {
	switch t {
	case chatcenter.ChannelTelegram, chatcenter.ChannelCustom:
		return true
	}
	return false
}

// Download returns the contents of a file a contact sent on a channel of type t, by the
// provider's id for it (chatcenter.Attachment.ProviderFileID). Provider refusals are
// *channels.PermanentError; ErrNoDownloads means the channel type keeps no files to fetch.
func Download(ctx context.Context, t chatcenter.ChannelType, cfgJSON []byte, fileID string, hc *http.Client) (io.ReadCloser, error) {
	if t != chatcenter.ChannelTelegram {
		return nil, ErrNoDownloads
	}
	var c telegram.Config
	if err := json.Unmarshal(cfgJSON, &c); err != nil {
		return nil, fmt.Errorf("decode telegram config: %w", err)
	}
	return telegram.NewClient(c, hc).Download(ctx, fileID)
}

// ErrNoDownloads is returned by Download for channel types whose attachments are links.
var ErrNoDownloads = errors.New("this channel type has no provider files to download")

// UploadsFiles reports whether adapters of type t send the workspace's files as bytes
// (channels.OutboundMessage.File) rather than as links the provider fetches.
func UploadsFiles(t chatcenter.ChannelType) bool {
	return t == chatcenter.ChannelTelegram
}

// RegisterWebhook points the provider at our webhook URL where the provider supports it
// (Telegram's setWebhook); other providers are configured by hand and this is a no-op.
func RegisterWebhook(ctx context.Context, t chatcenter.ChannelType, cfgJSON []byte, url string, hc *http.Client) error {
	if t != chatcenter.ChannelTelegram {
		return nil
	}
	var c telegram.Config
	if err := json.Unmarshal(cfgJSON, &c); err != nil {
		return fmt.Errorf("decode telegram config: %w", err)
	}
	return telegram.NewClient(c, hc).SetWebhook(ctx, url, c.SecretToken)
}

// AnswerCallback acknowledges a button press where the provider needs it (Telegram).
func AnswerCallback(ctx context.Context, t chatcenter.ChannelType, cfgJSON []byte, callbackID string, hc *http.Client) error {
	if t != chatcenter.ChannelTelegram {
		return nil
	}
	var c telegram.Config
	if err := json.Unmarshal(cfgJSON, &c); err != nil {
		return fmt.Errorf("decode telegram config: %w", err)
	}
	return telegram.NewClient(c, hc).AnswerCallbackQuery(ctx, callbackID)
}

func cleanJSONError(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}
