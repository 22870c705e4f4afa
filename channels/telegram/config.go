// Package telegram adapts the Telegram Bot API to the neutral shapes of package channels: it
// verifies and parses webhook updates and sends messages through a bot. It does pure HTTP and keeps
// no state beyond its configuration.
package telegram

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/chatcenterhq/chatcenter"
)

// DefaultAPIBaseURL is where the Bot API lives unless a channel points elsewhere (a local Bot API
// server or a test fake).
const DefaultAPIBaseURL = "https://api.telegram.org"

var (
	// BotFather tokens are "<bot id>:<secret>"; checking the shape catches pasted garbage before the
	// first send fails with an opaque 401 or 404.
	botTokenRE = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	// Telegram itself rejects any other secret_token in setWebhook, so we refuse it up front.
	secretTokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Config is the channel's stored configuration (JSON as given by API clients).
type Config struct {
	// BotToken is the token BotFather issued. It is a credential: it never appears in errors.
	BotToken string `json:"bot_token"`
	// SecretToken is what we ask Telegram to echo in X-Telegram-Bot-Api-Secret-Token, the only
	// way to authenticate its webhook calls.
	SecretToken string `json:"secret_token"`
	// APIBaseURL overrides DefaultAPIBaseURL.
	APIBaseURL string `json:"api_base_url,omitempty"`
}

// Validate reports the first problem with the configuration as an EINVALID *chatcenter.Error,
// whose message is safe to show to the API client (it never echoes the token).
func (c Config) Validate() error {
	switch {
	case c.BotToken == "":
		return chatcenter.Errorf(chatcenter.EINVALID, "bot_token is required")
	case !botTokenRE.MatchString(c.BotToken):
		return chatcenter.Errorf(chatcenter.EINVALID,
			"bot_token must look like 123456:ABC-DEF_ghi (the bot id, a colon, then letters, digits, _ or -)")
	case c.SecretToken == "":
		return chatcenter.Errorf(chatcenter.EINVALID, "secret_token is required")
	case !secretTokenRE.MatchString(c.SecretToken):
		return chatcenter.Errorf(chatcenter.EINVALID,
			"secret_token must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
	}
	if c.APIBaseURL != "" {
		u, err := url.Parse(c.APIBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return chatcenter.Errorf(chatcenter.EINVALID, "api_base_url must be an absolute http(s) URL")
		}
	}
	return nil
}

// BaseURL returns the Bot API root without a trailing slash, so that method URLs can be built by
// plain concatenation.
func (c Config) BaseURL() string {
	if u := strings.TrimRight(c.APIBaseURL, "/"); u != "" {
		return u
	}
	return DefaultAPIBaseURL
}
