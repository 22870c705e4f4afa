// Package custom implements respond.io's Custom Channel protocol, the bring-your-own channel: the
// customer's integration server POSTs inbound events to our webhook with a bearer token, and we
// POST outbound messages to {api_url}/message with the same token. It does pure HTTP and keeps no
// state beyond its configuration.
package custom

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
)

// Config is the channel's stored configuration (JSON as given by API clients).
type Config struct {
	// APIURL is the integration server's base URL; outbound messages go to {api_url}/message.
	APIURL string `json:"api_url"`
	// APIToken is the shared bearer token, used in both directions. It is a credential: it never
	// appears in errors.
	APIToken string `json:"api_token"`
}

// Validate reports the first problem with the configuration as an EINVALID *chatcenter.Error.
func (c Config) Validate() error {
	u, err := url.Parse(c.APIURL)
	switch {
	case c.APIURL == "":
		return chatcenter.Errorf(chatcenter.EINVALID, "api_url is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return chatcenter.Errorf(chatcenter.EINVALID, "api_url must be an absolute http(s) URL")
	case c.APIToken == "":
		return chatcenter.Errorf(chatcenter.EINVALID, "api_token is required")
	case len(c.APIToken) < 16 || len(c.APIToken) > 256:
		// Short tokens are guessable; long ones are a paste accident.
		return chatcenter.Errorf(chatcenter.EINVALID, "api_token must be 16 to 256 characters long")
	case !printableASCII(c.APIToken):
		// The token travels in an Authorization header, where spaces would split it and control or
		// non-ASCII bytes are not portable.
		return chatcenter.Errorf(chatcenter.EINVALID, "api_token must consist of printable ASCII characters without spaces")
	}
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// endpoint is where outbound messages go; a trailing slash in api_url must not double up.
func (c Config) endpoint() string {
	return strings.TrimRight(c.APIURL, "/") + "/message"
}

// VerifyRequest checks "Authorization: Bearer <token>" on an inbound webhook call. A missing,
// malformed or wrong header, or an empty expected token (a misconfigured channel must not accept
// anyone), yields channels.ErrUnauthorized.
func VerifyRequest(h http.Header, token string) error {
	auth := h.Get("Authorization")
	// The auth scheme is case-insensitive (RFC 9110 §11.1); the token itself is not.
	const prefix = "bearer "
	if token == "" || len(auth) <= len(prefix) || !strings.EqualFold(auth[:len(prefix)], prefix) {
		return channels.ErrUnauthorized
	}
	got := strings.TrimSpace(auth[len(prefix):])
	// Comparing fixed-size digests keeps the comparison constant-time in the token's length too.
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return channels.ErrUnauthorized
	}
	return nil
}
