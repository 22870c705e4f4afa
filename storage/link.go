package storage

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// LinkTTL is how long a signed file link works: long enough for a provider to fetch an attachment
// even after send retries, short enough that a leaked link stops working.
const LinkTTL = 24 * time.Hour

// ErrBadLink is returned for a link token that is malformed, forged or expired.
var ErrBadLink = errors.New("storage: invalid or expired file link")

const (
	linkVersion    = 1
	linkPayloadLen = 1 + 8 + 8 + 8
	linkMACLen     = sha256.Size
)

// DeriveLinkKey derives the key that signs file links from the installation's secret key, so that
// no second secret has to be configured and a link key never doubles as an encryption key.
func DeriveLinkKey(secretKey []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, secretKey, nil, "chatcenter file links v1", 32)
}

// SignLink returns a token that lets anyone holding it fetch one file until expires: a version
// byte, the workspace and file ids and the expiry, followed by their HMAC-SHA256, in URL-safe
// base64. The ids are not secret; the MAC makes them unforgeable.
func SignLink(key []byte, workspaceID, fileID int64, expires time.Time) string {
	buf := make([]byte, linkPayloadLen, linkPayloadLen+linkMACLen)
	buf[0] = linkVersion
	binary.BigEndian.PutUint64(buf[1:], uint64(workspaceID))
	binary.BigEndian.PutUint64(buf[9:], uint64(fileID))
	binary.BigEndian.PutUint64(buf[17:], uint64(expires.Unix()))
	return base64.RawURLEncoding.EncodeToString(append(buf, linkMAC(key, buf)...))
}

// VerifyLink checks a token's MAC and expiry and returns the file it names.
func VerifyLink(key []byte, token string, now time.Time) (workspaceID, fileID int64, err error) {
	if len(key) == 0 || len(token) > 128 {
		return 0, 0, ErrBadLink
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != linkPayloadLen+linkMACLen || raw[0] != linkVersion {
		return 0, 0, ErrBadLink
	}
	payload, mac := raw[:linkPayloadLen], raw[linkPayloadLen:]
	if !hmac.Equal(mac, linkMAC(key, payload)) {
		return 0, 0, ErrBadLink
	}
	if now.Unix() >= int64(binary.BigEndian.Uint64(payload[17:])) {
		return 0, 0, ErrBadLink
	}
	return int64(binary.BigEndian.Uint64(payload[1:])), int64(binary.BigEndian.Uint64(payload[9:])), nil
}

func linkMAC(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return m.Sum(nil)
}
