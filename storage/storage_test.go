package storage

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLocalRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewLocal(filepath.Join(dir, "files"))
	require.NoError(t, err)
	key := NewKey()
	n, err := s.Put(ctx, key, bytes.NewReader([]byte("hello")))
	require.NoError(t, err)
	require.EqualValues(t, 5, n)
	rc, err := s.Open(ctx, key)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, "hello", string(got))

	require.NoError(t, s.Delete(ctx, key))
	_, err = s.Open(ctx, key)
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, s.Delete(ctx, key), "deleting twice is fine")
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		k := min(f.n, len(p))
		f.n -= k
		return k, nil
	}
	return 0, errors.New("client went away")
}

// A failed upload leaves neither the file nor its temporary file behind.
func TestLocalPutFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := NewLocal(dir)
	require.NoError(t, err)
	key := NewKey()
	_, err = s.Put(context.Background(), key, &failingReader{n: 100000})
	require.ErrorContains(t, err, "client went away")
	_, err = s.Open(context.Background(), key)
	require.ErrorIs(t, err, ErrNotFound)
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}))
	require.Empty(t, files)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Put(ctx, key, bytes.NewReader([]byte("x")))
	require.ErrorIs(t, err, context.Canceled)
}

func TestLocalRefusesKeysOutsideTheStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := NewLocal(filepath.Join(dir, "store"))
	require.NoError(t, err)
	ctx := context.Background()
	for _, key := range []string{"", "../escape", "ab/../../escape", "/etc/passwd", "ab//cd", "AB/cd", `ab\cd`, "ab/./cd", "ab/cd/", "..", "ab/c d"} {
		_, err := s.Put(ctx, key, bytes.NewReader([]byte("x")))
		require.ErrorIs(t, err, ErrBadKey, key)
		_, err = s.Open(ctx, key)
		require.ErrorIs(t, err, ErrBadKey, key)
		require.ErrorIs(t, s.Delete(ctx, key), ErrBadKey, key)
	}
	_, err = os.Stat(filepath.Join(dir, "escape"))
	require.ErrorIs(t, err, os.ErrNotExist)

	seen := map[string]bool{}
	for range 100 {
		k := NewKey()
		require.True(t, validKey(k), k)
		require.False(t, seen[k])
		seen[k] = true
	}
}

func zipOf(t *testing.T, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range names {
		f, err := w.Create(n)
		require.NoError(t, err)
		_, _ = f.Write([]byte("<xml/>"))
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestDetect(t *testing.T) {
	t.Parallel()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")
	tests := []struct {
		name string
		head []byte
		file string
		want string
		kind string // "" when refused
	}{
		{"png", png, "a.png", "image/png", KindImage},
		{"png with a lying name", png, "a.pdf", "image/png", KindImage},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "a.jpg", "image/jpeg", KindImage},
		{"gif", []byte("GIF89a...."), "a.gif", "image/gif", KindImage},
		{"webp", []byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "a.webp", "image/webp", KindImage},
		{"pdf", []byte("%PDF-1.7\n"), "a.pdf", "application/pdf", KindDocument},
		{"exe named png", []byte("MZ\x90\x00\x03\x00\x00\x00"), "photo.png", "application/x-msdownload", ""},
		{"elf", []byte("\x7fELF\x02\x01\x01"), "a.txt", "application/x-executable", ""},
		{"mach-o", []byte("\xcf\xfa\xed\xfe\x07\x00"), "a.jpg", "application/x-mach-binary", ""},
		{"shell script", []byte("#!/bin/sh\nrm -rf /\n"), "a.txt", "text/x-shellscript", ""},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script>"), "a.txt", "text/html", ""},
		{"html without doctype", []byte("  <html><body>hi"), "a.png", "text/html", ""},
		{"xml", []byte("<?xml version=\"1.0\"?><svg/>"), "a.svg", "text/xml", ""},
		{"text", []byte("hello world\n"), "notes.txt", "text/plain", KindDocument},
		{"text without a name", []byte("hello world\n"), "", "text/plain", KindDocument},
		{"csv", []byte("a,b\n1,2\n"), "data.csv", "text/csv", KindDocument},
		{"javascript", []byte("alert(1)\n"), "x.js", "text/x-unknown.js", ""},
		{"batch file", []byte("@echo off\n"), "x.BAT", "text/x-unknown.bat", ""},
		{"ogg opus", []byte("OggS\x00\x02" + string(make([]byte, 22)) + "OpusHead\x01\x01"), "v.ogg", "audio/ogg", KindAudio},
		{"ogg vorbis", []byte("OggS\x00\x02" + string(make([]byte, 22)) + "\x01vorbis\x00"), "v.ogg", "audio/ogg", KindAudio},
		{"ogg theora", []byte("OggS\x00\x02" + string(make([]byte, 22)) + "\x80theora"), "v.ogv", "video/ogg", ""},
		{"mp3 with id3", []byte("ID3\x03\x00\x00\x00\x00\x00\x00"), "a.mp3", "audio/mpeg", KindAudio},
		{"mp3 frame", []byte("\xff\xfb\x90\x64\x00"), "a.mp3", "audio/mpeg", KindAudio},
		{"aac adts", []byte("\xff\xf1\x50\x80\x00"), "a.aac", "audio/aac", KindAudio},
		{"m4a", []byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00"), "a.m4a", "audio/mp4", KindAudio},
		{"mp4", []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), "a.mp4", "video/mp4", KindVideo},
		{"mov", []byte("\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00"), "a.mov", "video/quicktime", KindVideo},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), "a.heic", "image/heic", KindImage},
		{"webm video", []byte("\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm....V_VP8"), "a.webm", "video/webm", KindVideo},
		{"webm audio", []byte("\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm....A_OPUS"), "a.webm", "audio/webm", KindAudio},
		{"wav", []byte("RIFF\x24\x00\x00\x00WAVEfmt "), "a.wav", "audio/wav", KindAudio},
		{"flac", []byte("fLaC\x00\x00\x00\x22"), "a.flac", "audio/flac", KindAudio},
		{"amr", []byte("#!AMR\n"), "a.amr", "audio/amr", KindAudio},
		{"docx", zipOf(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml"), "a.docx", MimeDOCX, KindDocument},
		{"docx named zip", zipOf(t, "[Content_Types].xml", "word/document.xml"), "a.zip", MimeDOCX, KindDocument},
		{"xlsx", zipOf(t, "[Content_Types].xml", "xl/workbook.xml"), "a.xlsx", MimeXLSX, KindDocument},
		{"pptx", zipOf(t, "[Content_Types].xml", "ppt/presentation.xml"), "a.pptx", MimePPTX, KindDocument},
		{"zip", zipOf(t, "readme.txt", "img/a.png"), "a.zip", "application/zip", KindDocument},
		{"jar", zipOf(t, "META-INF/MANIFEST.MF", "A.class"), "a.zip", "application/java-archive", ""},
		{"apk", zipOf(t, "AndroidManifest.xml", "classes.dex"), "a.zip", "application/vnd.android.package-archive", ""},
		{"word 97", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00"), "a.doc", MimeDOC, KindDocument},
		{"msi", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00"), "setup.msi", "application/x-ole-storage", ""},
		{"gzip", []byte("\x1f\x8b\x08\x00"), "a.gz", "application/x-gzip", ""},
		{"binary", []byte("\x00\x01\x02\x03\x04"), "a.bin", "application/octet-stream", ""},
		{"empty", nil, "a.txt", "application/x-empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Detect(tt.head, tt.file)
			require.Equal(t, tt.want, got)
			kind, ok := KindOf(got)
			require.Equal(t, tt.kind != "", ok)
			require.Equal(t, tt.kind, kind)
		})
	}
	// OpenDocument stores its "mimetype" entry first and uncompressed.
	odt := append([]byte("PK\x03\x04"+string(make([]byte, 22))+"\x08\x00\x00\x00mimetype"), []byte(MimeODT)...)
	require.Equal(t, MimeODT, Detect(odt, "a.odt"))
}

// oggPage builds one Ogg page with a correct header and CRC.
func oggPage(flags byte, granule int64, serial, seq uint32, body []byte) []byte {
	var segs []byte
	for n := len(body); ; n -= 255 {
		if n >= 255 {
			segs = append(segs, 255)
			continue
		}
		segs = append(segs, byte(n))
		break
	}
	p := []byte("OggS\x00")
	p = append(p, flags)
	p = binary.LittleEndian.AppendUint64(p, uint64(granule))
	p = binary.LittleEndian.AppendUint32(p, serial)
	p = binary.LittleEndian.AppendUint32(p, seq)
	p = append(p, 0, 0, 0, 0, byte(len(segs)))
	p = append(p, segs...)
	p = append(p, body...)
	binary.LittleEndian.PutUint32(p[22:], oggCRC(p))
	return p
}

var oggTable = func() *[256]uint32 {
	var t [256]uint32
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return &t
}()

func oggCRC(b []byte) uint32 {
	var c uint32
	for _, x := range b {
		c = c<<8 ^ oggTable[byte(c>>24)^x]
	}
	return c
}

// opusFile is a minimal Ogg Opus stream: OpusHead (pre-skip 312), OpusTags, audio pages ending at
// the granule that makes it last seconds.
func opusFile(seconds float64) []byte {
	head := []byte("OpusHead\x01\x01")
	head = binary.LittleEndian.AppendUint16(head, 312)
	head = binary.LittleEndian.AppendUint32(head, 48000)
	head = append(head, 0, 0, 0)
	out := oggPage(0x02, 0, 7, 0, head)
	out = append(out, oggPage(0, 0, 7, 1, []byte("OpusTags\x00\x00\x00\x00\x00\x00\x00\x00"))...)
	end := int64(seconds*48000) + 312
	out = append(out, oggPage(0, end/2, 7, 2, bytes.Repeat([]byte{0xfc}, 300))...)
	out = append(out, oggPage(0, -1, 7, 3, bytes.Repeat([]byte{0xfc}, 10))...)
	out = append(out, oggPage(0x04, end, 7, 4, bytes.Repeat([]byte{0xfc}, 40))...)
	return out
}

func wavFile(seconds float64, claim int64) []byte {
	const byteRate = 16000 // 8 kHz, 16-bit mono
	data := make([]byte, int(seconds*byteRate))
	if claim < 0 {
		claim = int64(len(data))
	}
	out := []byte("RIFF\x00\x00\x00\x00WAVE")
	out = append(out, "LIST\x04\x00\x00\x00INFO"...)
	out = append(out, "fmt \x10\x00\x00\x00\x01\x00\x01\x00"...)
	out = binary.LittleEndian.AppendUint32(out, 8000)
	out = binary.LittleEndian.AppendUint32(out, byteRate)
	out = append(out, 2, 0, 16, 0)
	out = append(out, "data"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(claim))
	return append(out, data...)
}

func TestAudioDuration(t *testing.T) {
	t.Parallel()
	d, ok := AudioDuration("audio/ogg", bytes.NewReader(opusFile(12.5)))
	require.True(t, ok)
	require.InDelta(t, 12.5, d, 0.001)
	require.Equal(t, "audio/ogg", Detect(opusFile(1), "x"))

	long, ok := AudioDuration("audio/ogg", bytes.NewReader(opusFile(301)))
	require.True(t, ok)
	require.InDelta(t, 301, long, 0.001)

	// Vorbis counts at its own rate.
	vh := append([]byte("\x01vorbis\x00\x00\x00\x00\x01"), binary.LittleEndian.AppendUint32(nil, 44100)...)
	vh = append(vh, make([]byte, 16)...)
	vorbis := append(oggPage(0x02, 0, 9, 0, vh), oggPage(0x04, 44100*3, 9, 1, []byte{1, 2, 3})...)
	d, ok = AudioDuration("audio/ogg", bytes.NewReader(vorbis))
	require.True(t, ok)
	require.InDelta(t, 3, d, 0.001)

	full := opusFile(5)
	_, ok = AudioDuration("audio/ogg", bytes.NewReader(full[:len(full)-5]))
	require.False(t, ok, "a truncated page")
	_, ok = AudioDuration("audio/ogg", bytes.NewReader(full[:100]))
	require.False(t, ok, "headers only")
	_, ok = AudioDuration("audio/ogg", bytes.NewReader([]byte("OggS garbage")))
	require.False(t, ok)

	d, ok = AudioDuration("audio/wav", bytes.NewReader(wavFile(2, -1)))
	require.True(t, ok)
	require.InDelta(t, 2, d, 0.001)
	d, ok = AudioDuration("audio/wav", bytes.NewReader(wavFile(2, 16000)))
	require.True(t, ok)
	require.InDelta(t, 1, d, 0.001, "the header's length when shorter")
	d, ok = AudioDuration("audio/wav", bytes.NewReader(wavFile(2, 16000*60)))
	require.True(t, ok)
	require.InDelta(t, 2, d, 0.001, "what the file holds when the header claims more")
	d, ok = AudioDuration("audio/wav", bytes.NewReader(wavFile(3, 0xffffffff)))
	require.True(t, ok)
	require.InDelta(t, 3, d, 0.001)

	_, ok = AudioDuration("audio/mpeg", bytes.NewReader([]byte("ID3")))
	require.False(t, ok, "mp3 durations are not read")
}

func TestLinks(t *testing.T) {
	t.Parallel()
	key, err := DeriveLinkKey(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	other, err := DeriveLinkKey(bytes.Repeat([]byte{8}, 32))
	require.NoError(t, err)
	require.NotEqual(t, key, other)
	now := time.Now()
	tok := SignLink(key, 3, 42, now.Add(LinkTTL))
	ws, id, err := VerifyLink(key, tok, now)
	require.NoError(t, err)
	require.Equal(t, [2]int64{3, 42}, [2]int64{ws, id})

	_, _, err = VerifyLink(key, tok, now.Add(LinkTTL+time.Second))
	require.ErrorIs(t, err, ErrBadLink, "expired")
	_, _, err = VerifyLink(other, tok, now)
	require.ErrorIs(t, err, ErrBadLink, "another installation's key")
	_, _, err = VerifyLink(nil, tok, now)
	require.ErrorIs(t, err, ErrBadLink, "no key")
	// Pointing a valid signature at another file fails.
	forged := SignLink(other, 3, 43, now.Add(LinkTTL))
	_, _, err = VerifyLink(key, forged, now)
	require.ErrorIs(t, err, ErrBadLink)
	for _, bad := range []string{"", "x", tok[:len(tok)-1], tok + "A", "../../etc/passwd"} {
		_, _, err = VerifyLink(key, bad, now)
		require.ErrorIs(t, err, ErrBadLink, bad)
	}
	raw := []byte(tok)
	raw[5] ^= 1
	_, _, err = VerifyLink(key, string(raw), now)
	require.ErrorIs(t, err, ErrBadLink, "tampered")
}

// The generator's CRC is Ogg's: CRC-32/CKSUM (check value 0x765E7680) without the final inversion.
func TestOggCRC(t *testing.T) {
	t.Parallel()
	require.Equal(t, uint32(0x765E7680^0xFFFFFFFF), oggCRC([]byte("123456789")))
}
