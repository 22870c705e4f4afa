package api

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFilesSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"invoice.pdf":                     "invoice.pdf",
		"Invoice.PDF":                     "Invoice.PDF",
		`C:\Users\ana\invoice.pdf`:        "invoice.pdf",
		"../../etc/passwd.pdf":            "passwd.pdf",
		"invoice.pdf.exe":                 "invoice.pdf.exe.pdf",
		"invoice":                         "invoice.pdf",
		"":                                "file.pdf",
		"...":                             "file.pdf",
		" .hidden.pdf ":                   "hidden.pdf",
		"a\x00b\r\nc.pdf":                 "abc.pdf",
		"evil\u202efdp.exe":               "evilfdp.exe.pdf",
		`a"b<c>d:e|f?g*h;i.pdf`:           "a_b_c_d_e_f_g_h_i.pdf",
		"tab\there.pdf":                   "tabhere.pdf",
		"no\u00a0break.pdf":               "no break.pdf",
		"bad\xffutf8.pdf":                 "badutf8.pdf",
		strings.Repeat("é", 300) + ".pdf": strings.Repeat("é", 125) + ".pdf",
	} {
		got := sanitizeFileName(in, "application/pdf")
		require.Equal(t, want, got, "%q", in)
		require.LessOrEqual(t, len(got), maxFileName)
	}
	require.Equal(t, "photo.JPEG", sanitizeFileName("photo.JPEG", "image/jpeg"))
	require.Equal(t, "photo.png.jpg", sanitizeFileName("photo.png", "image/jpeg"))
}

func TestFilesContentDisposition(t *testing.T) {
	require.Equal(t, `attachment; filename="a b.pdf"; filename*=UTF-8''a%20b.pdf`, contentDisposition("a b.pdf"))
	require.Equal(t, `attachment; filename="____'.txt"; filename*=UTF-8''%E6%97%A5%22%5C%25%27.txt`, contentDisposition("日\"\\%'.txt"))
}

func TestFilesUploadReaderLimit(t *testing.T) {
	r := &uploadReader{r: bytes.NewReader(make([]byte, 100)), left: 100}
	n, err := io.Copy(io.Discard, r)
	require.NoError(t, err)
	require.EqualValues(t, 100, n)

	r = &uploadReader{r: bytes.NewReader(make([]byte, 101)), left: 100}
	_, err = io.Copy(io.Discard, r)
	require.ErrorIs(t, err, errTooLarge)
	require.True(t, isTooLarge(r.readErr))
}
