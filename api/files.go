package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/storage"
)

// multipartSlack is what a multipart upload may carry beyond the file itself: part headers,
// boundaries and small form fields.
const multipartSlack = 64 << 10

// maxFileName bounds a stored file name in bytes.
const maxFileName = 255

func init() {
	const v1 = "/api/v1"
	document(http.MethodPost, v1+"/files", Operation{Summary: "Upload a file: multipart/form-data, field \"file\"; at most the upload limit (413 too_large); " +
		"the type is sniffed from the bytes and must be an image, audio, video, PDF, Office document, plain text, CSV or zip", Tag: "Files",
		Response: fileView{}, Status: http.StatusCreated})
	document(http.MethodGet, v1+"/files", Operation{Summary: "The workspace file library, newest first", Tag: "Files", Response: fileView{}, List: true,
		Query: map[string]string{"type": "image | audio | video | document", "limit": "1–100, default 25", "cursor": "next_cursor of the previous page"}})
	document(http.MethodGet, v1+"/files/:id", Operation{Summary: "Get a file's details", Tag: "Files", Response: fileView{}})
	document(http.MethodGet, v1+"/files/:id/content", Operation{Summary: "Download a file (Content-Type is the sniffed type; always an attachment)", Tag: "Files"})
	document(http.MethodDelete, v1+"/files/:id", Operation{Summary: "Delete a file (its uploader, owners and managers)", Tag: "Files", Status: http.StatusNoContent})
	document(http.MethodGet, "/files/public/:token", Operation{Summary: "A file by its signed link (valid 24 h): how providers fetch attachments; 404 when the link is bad or expired", Tag: "Files"})
	document(http.MethodHead, "/files/public/:token", Operation{Summary: "Headers of a file by its signed link", Tag: "Files"})
}

// fileView is a file as the API shows it; the storage key stays inside.
type fileView struct {
	ID              int64     `json:"id"`
	Name            string    `json:"name"`
	MimeType        string    `json:"mime_type"`
	Kind            string    `json:"kind"`
	Size            int64     `json:"size"`
	SHA256          string    `json:"sha256"`
	DurationSeconds *float64  `json:"duration_seconds"`
	UploaderID      *int64    `json:"uploader_id"`
	CreatedAt       time.Time `json:"created_at"`
}

func toFileView(f dbsqlc.File) fileView {
	return fileView{
		ID: f.ID, Name: f.Name, MimeType: f.MimeType, Kind: f.Kind, Size: f.SizeBytes,
		SHA256: hex.EncodeToString(f.Sha256), DurationSeconds: f.DurationSeconds, UploaderID: f.UploaderID,
		CreatedAt: f.CreatedAt,
	}
}

func (s *Server) requireStorage() error {
	if s.Storage == nil {
		return chatcenter.Errorf(chatcenter.EUNAVAILABLE, "file storage is not configured")
	}
	return nil
}

// errTooLarge marks an upload that went past the size limit.
var errTooLarge = errors.New("file too large")

// tooLargeDrain bounds how much of an oversized upload is read and thrown away before the 413.
const tooLargeDrain = 16 << 20

// tooLarge answers 413 with the limit and closes the connection. It first reads and discards
// what is left of the body (up to tooLargeDrain, for at most ten seconds): a client still
// sending when the server closes gets a connection reset instead of the answer.
func (s *Server) tooLarge(c *gin.Context, body io.Reader) {
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.CopyN(io.Discard, body, tooLargeDrain)
	c.Header("Connection", "close")
	s.fail(c, chatcenter.Errorf(chatcenter.ETOOLARGE, "the file is larger than the upload limit of %s", byteSize(s.MaxUpload)))
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// uploadReader counts what it passes on and fails once more than left bytes came through, so
// the store sees an error (and keeps nothing) instead of a silently truncated file. It remembers
// read errors, which are the client's, apart from the store's write errors.
type uploadReader struct {
	r       io.Reader
	left    int64
	readErr error
}

func (u *uploadReader) Read(p []byte) (int, error) {
	if u.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > u.left+1 {
		p = p[:u.left+1]
	}
	n, err := u.r.Read(p)
	u.left -= int64(n)
	if u.left < 0 {
		u.readErr = errTooLarge
		return n, errTooLarge
	}
	if err != nil && err != io.EOF {
		u.readErr = err
	}
	return n, err
}

func isTooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.Is(err, errTooLarge) || errors.As(err, &mb)
}

// uploadFile stores the multipart field "file". The body is streamed through a size limit (the
// Content-Length header is not trusted); the type is sniffed from the first bytes and checked
// against the allow-list before anything is written; nothing is kept when any step fails.
func (s *Server) uploadFile(c *gin.Context) {
	if err := s.requireStorage(); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	orig := c.Request.Body
	c.Request.Body = http.MaxBytesReader(c.Writer, orig, s.MaxUpload+multipartSlack)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		s.fail(c, invalid("send the file as multipart/form-data in a field named file"))
		return
	}
	var part io.ReadCloser
	var clientName string
	for part == nil {
		p, err := mr.NextPart()
		switch {
		case isTooLarge(err):
			s.tooLarge(c, orig)
			return
		case err == io.EOF:
			s.fail(c, invalid("the form has no field named file"))
			return
		case err != nil:
			s.fail(c, invalid("malformed multipart body"))
			return
		}
		if p.FormName() != "file" {
			// Other fields are allowed and ignored; reading them counts against the body limit.
			if _, err := io.Copy(io.Discard, p); isTooLarge(err) {
				s.tooLarge(c, orig)
				return
			}
			continue
		}
		part, clientName = p, p.FileName()
	}
	defer part.Close()

	head := make([]byte, storage.SniffSize)
	n, err := io.ReadFull(part, head)
	head = head[:n]
	switch {
	case isTooLarge(err):
		s.tooLarge(c, orig)
		return
	case err != nil && err != io.EOF && err != io.ErrUnexpectedEOF:
		s.fail(c, invalid("cannot read the upload"))
		return
	case n == 0:
		s.fail(c, invalid("the file is empty"))
		return
	}
	mediaType := storage.Detect(head, clientName)
	kind, ok := storage.KindOf(mediaType)
	if !ok {
		s.fail(c, invalid("file type not allowed (%s); upload images, audio, video, PDF, Office documents, plain text, CSV or zip", mediaType))
		return
	}

	key := storage.NewKey()
	hash := sha256.New()
	src := &uploadReader{r: io.MultiReader(bytes.NewReader(head), part), left: s.MaxUpload}
	size, err := s.Storage.Put(ctx, key, io.TeeReader(src, hash))
	if err != nil {
		switch {
		case isTooLarge(src.readErr):
			s.tooLarge(c, orig)
		case src.readErr != nil:
			s.fail(c, invalid("the upload was interrupted"))
		default:
			s.fail(c, fmt.Errorf("store upload: %w", err))
		}
		return
	}
	var duration *float64
	if kind == storage.KindAudio {
		duration, err = s.audioDuration(ctx, key, mediaType)
		if err != nil {
			s.discard(ctx, key)
			s.fail(c, err)
			return
		}
	}

	u := currentUser(c)
	var f dbsqlc.File
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		var err error
		f, err = q.FileInsert(ctx, dbsqlc.FileInsertParams{
			WorkspaceID: u.WorkspaceID, UploaderID: &u.ID, Name: sanitizeFileName(clientName, mediaType),
			MimeType: mediaType, Kind: kind, SizeBytes: size, Sha256: hash.Sum(nil), StorageKey: key,
			DurationSeconds: duration,
		})
		if err != nil {
			return fmt.Errorf("insert file: %w", db.Error(err))
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "file.created", ActorUserID: u.ID,
			Payload: map[string]any{"file": toFileView(f)}})
	})
	if err != nil {
		s.discard(ctx, key)
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toFileView(f))
}

// audioDuration reads the playing time of a stored recording, or nil when its format does not
// say (voice notes then cannot be sent from it).
func (s *Server) audioDuration(ctx context.Context, key, mediaType string) (*float64, error) {
	rc, err := s.Storage.Open(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("reopen upload: %w", err)
	}
	defer rc.Close()
	if d, ok := storage.AudioDuration(mediaType, rc); ok {
		return &d, nil
	}
	return nil, nil
}

// discard removes stored bytes whose row was never written, even when the request is gone.
func (s *Server) discard(ctx context.Context, key string) {
	if err := s.Storage.Delete(context.WithoutCancel(ctx), key); err != nil {
		s.Log.ErrorContext(ctx, "cannot delete an orphaned upload", "key", key, "error", err)
	}
}

// sanitizeFileName keeps the client's file name for display and downloads only: the base name,
// without control, format (right-to-left override) or shell-special characters, at most 255
// bytes, and ending in an extension of the sniffed type, so that "invoice.pdf.exe" holding a PNG
// is offered as "invoice.pdf.exe.png".
func sanitizeFileName(name, mediaType string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return -1
		case strings.ContainsRune(`"<>:|?*;`, r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(name, " .")
	ext := strings.ToLower(filepath.Ext(name))
	exts := storage.Extensions(mediaType)
	want := ""
	if len(exts) > 0 {
		want = exts[0]
		for _, e := range exts {
			if ext == e {
				want = ""
				break
			}
		}
	}
	base := name
	if want == "" && ext != "" {
		base, want = strings.TrimSuffix(name, filepath.Ext(name)), filepath.Ext(name)
	}
	if base == "" {
		base = "file"
	}
	for len(base)+len(want) > maxFileName {
		_, size := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-size]
	}
	return base + want
}

type fileCursor struct {
	ID int64 `json:"id"`
}

// listFiles is the workspace library, newest first, optionally of one kind (?type=).
func (s *Server) listFiles(c *gin.Context) {
	var cur fileCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := dbsqlc.FileListParams{WorkspaceID: currentUser(c).WorkspaceID, Max: limit + 1}
	switch k := c.Query("type"); k {
	case "":
	case storage.KindImage, storage.KindAudio, storage.KindVideo, storage.KindDocument:
		p.Kind = &k
	default:
		s.fail(c, invalid("type must be image, audio, video or document"))
		return
	}
	if hasCursor {
		p.BeforeID = &cur.ID
	}
	rows, err := s.DB.FileList(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[fileView]{Items: db.MapSlice(rows, toFileView)}
	if len(rows) > int(limit) {
		out.Items = out.Items[:limit]
		out.NextCursor = encodeCursor(fileCursor{ID: out.Items[limit-1].ID})
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) loadFile(c *gin.Context) (dbsqlc.File, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return dbsqlc.File{}, chatcenter.Errorf(chatcenter.ENOTFOUND, "file not found")
	}
	f, err := s.DB.FileGetByID(c.Request.Context(), dbsqlc.FileGetByIDParams{WorkspaceID: currentUser(c).WorkspaceID, ID: id})
	if db.IsNoRows(err) {
		return f, chatcenter.Errorf(chatcenter.ENOTFOUND, "file not found")
	}
	return f, err
}

func (s *Server) getFile(c *gin.Context) {
	f, err := s.loadFile(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toFileView(f))
}

// downloadFile serves a file to a logged-in member of its workspace.
func (s *Server) downloadFile(c *gin.Context) {
	if err := s.requireStorage(); err != nil {
		s.fail(c, err)
		return
	}
	f, err := s.loadFile(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.serveFile(c, f)
}

// publicFile serves a file to whoever holds a signed, unexpired link: how providers (Telegram,
// custom channels) fetch attachments. Every failure looks the same, so a link prober learns
// nothing.
func (s *Server) publicFile(c *gin.Context) {
	notFound := chatcenter.Errorf(chatcenter.ENOTFOUND, "file not found")
	if s.Storage == nil {
		s.fail(c, notFound)
		return
	}
	workspaceID, fileID, err := storage.VerifyLink(s.FileLinkKey, c.Param("token"), time.Now())
	if err != nil {
		s.fail(c, notFound)
		return
	}
	f, err := s.DB.FileGetByID(c.Request.Context(), dbsqlc.FileGetByIDParams{WorkspaceID: workspaceID, ID: fileID})
	if db.IsNoRows(err) {
		s.fail(c, notFound)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.serveFile(c, f)
}

// serveFile streams a stored file with the sniffed type, as a download that browsers may neither
// re-sniff nor render in our origin. Seekable stores get range requests and conditional GETs.
func (s *Server) serveFile(c *gin.Context, f dbsqlc.File) {
	rc, err := s.Storage.Open(c.Request.Context(), f.StorageKey)
	if errors.Is(err, storage.ErrNotFound) {
		s.Log.ErrorContext(c.Request.Context(), "stored file is missing", "file_id", f.ID, "request_id", c.GetString(ctxRequestID))
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "file not found"))
		return
	}
	if err != nil {
		s.fail(c, fmt.Errorf("open file %d: %w", f.ID, err))
		return
	}
	defer rc.Close()
	h := c.Writer.Header()
	downloadHeaders(h, f.MimeType, f.Name)
	h.Set("ETag", `"`+hex.EncodeToString(f.Sha256)+`"`)
	if rs, ok := rc.(io.ReadSeeker); ok {
		http.ServeContent(c.Writer, c.Request, "", f.CreatedAt, rs)
		return
	}
	h.Set("Content-Length", fmt.Sprint(f.SizeBytes))
	c.Status(http.StatusOK)
	if c.Request.Method != http.MethodHead {
		_, _ = io.Copy(c.Writer, rc)
	}
}

// downloadHeaders make a response a download of the given type and name that browsers may
// neither re-sniff nor render in our origin: files come from users and contacts.
func downloadHeaders(h http.Header, mimeType, name string) {
	h.Set("Content-Type", mimeType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", contentDisposition(name))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=0")
}

// contentDisposition offers name as the download name: an ASCII fallback for old clients and the
// exact name as an RFC 5987 extended value (filename*, UTF-8, percent-encoded).
func contentDisposition(name string) string {
	var ascii, enc strings.Builder
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			ascii.WriteByte('_')
		} else {
			ascii.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii.String(), enc.String())
}

// deleteFile removes a file from the library: its uploader may, and so may owners and managers.
// Messages that were already sent keep their copy at the provider; pending ones that name the
// file fail.
func (s *Server) deleteFile(c *gin.Context) {
	if err := s.requireStorage(); err != nil {
		s.fail(c, err)
		return
	}
	f, err := s.loadFile(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	if u.Role != chatcenter.RoleOwner && u.Role != chatcenter.RoleManager && (f.UploaderID == nil || *f.UploaderID != u.ID) {
		s.fail(c, chatcenter.Errorf(chatcenter.EFORBIDDEN, "only the uploader, owners and managers may delete a file"))
		return
	}
	ctx := c.Request.Context()
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if _, err := q.FileDelete(ctx, dbsqlc.FileDeleteParams{WorkspaceID: f.WorkspaceID, ID: f.ID}); err != nil {
			return db.Error(err)
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: f.WorkspaceID, Type: "file.deleted", ActorUserID: u.ID,
			Payload: map[string]any{"file_id": f.ID}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	// The row is gone, so nothing can reach the bytes any more; a failure here only leaves an
	// orphan on disk, which is logged.
	s.discard(ctx, f.StorageKey)
	c.Status(http.StatusNoContent)
}
