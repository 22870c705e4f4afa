package secret

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSealOpen(t *testing.T) {
	key, err := ParseKey(NewKey())
	require.NoError(t, err)
	box, err := NewBox(key)
	require.NoError(t, err)
	plain := []byte(`{"bot_token":"123:abc"}`)
	sealed := box.Seal(plain)
	require.False(t, bytes.Contains(sealed, []byte("123:abc")))
	require.NotEqual(t, sealed, box.Seal(plain), "a fresh nonce every time")
	got, err := box.Open(sealed)
	require.NoError(t, err)
	require.Equal(t, plain, got)

	sealed[len(sealed)-1] ^= 1
	_, err = box.Open(sealed)
	require.Error(t, err, "tampering is detected")

	other, _ := NewBox(bytes.Repeat([]byte{9}, KeySize))
	_, err = other.Open(box.Seal(plain))
	require.Error(t, err, "another key cannot open it")
}

func TestParseKey(t *testing.T) {
	for _, k := range []string{
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	} {
		b, err := ParseKey(k)
		require.NoError(t, err, k)
		require.Len(t, b, KeySize)
	}
	for _, k := range []string{"", "short", "000102"} {
		_, err := ParseKey(k)
		require.Error(t, err, k)
	}
}

func TestTokenMatches(t *testing.T) {
	h := HashToken("s3cret")
	require.True(t, TokenMatches("s3cret", h))
	require.False(t, TokenMatches("s3cret ", h))
	require.False(t, TokenMatches("", HashToken("")), "an empty token never matches")
	require.False(t, TokenMatches("s3cret", nil))
}
