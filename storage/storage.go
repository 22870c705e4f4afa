// Package storage keeps the bytes of uploaded files (attachments, voice notes, the workspace file
// library) behind a small interface, with a local-disk implementation. It also knows what those
// bytes are: the media type sniffed from their first bytes, the duration of audio recordings, and
// the signed, expiring links through which providers fetch them.
package storage

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"io"
	"strings"
)

// Store holds file contents under keys that the caller generates with NewKey. Keys are never
// built from user input.
type Store interface {
	// Put stores everything r yields under key and returns the number of bytes stored. When r or
	// the write fails, nothing is left under key.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open returns the contents stored under key; ErrNotFound when there are none.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the contents under key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// ErrNotFound is returned by Open for a key with no contents.
var ErrNotFound = errors.New("storage: no such file")

// ErrBadKey is returned for a key that NewKey could not have produced.
var ErrBadKey = errors.New("storage: malformed key")

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewKey returns a fresh random key: 160 random bits, spread over 1024 shard directories so that
// no directory grows without bound.
func NewKey() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	s := strings.ToLower(keyEncoding.EncodeToString(b))
	return s[:2] + "/" + s
}

// validKey accepts slash-separated segments of [a-z0-9_-] only, so that a key can never name a
// path outside the store (no "..", no absolute paths, no separators of other systems).
func validKey(key string) bool {
	if key == "" || len(key) > 200 {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" {
			return false
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
				return false
			}
		}
	}
	return true
}
