package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/variables"
)

// Snippets are saved replies (respond.io's "Atajos"): agents pick one with "/name" and its text,
// with dynamic variables rendered for the contact, goes into the reply box. Everyone reads them;
// owners and managers write them.

const (
	snippetNameMaxLength = 64
	snippetTextMaxLength = 2000
)

func init() {
	const v1 = "/api/v1"
	document(http.MethodGet, v1+"/snippets", Operation{Summary: "Snippets (saved replies), newest first", Tag: "Snippets", Response: snippetResponse{}, List: true,
		Query: map[string]string{"search": "keeps snippets whose name or text contains it (case-insensitive)", "limit": "1–100, default 25", "cursor": "next_cursor of the previous page"}})
	document(http.MethodGet, v1+"/snippets/:id", Operation{Summary: "Get a snippet", Tag: "Snippets", Response: snippetResponse{}})
	document(http.MethodPost, v1+"/snippets", Operation{Summary: "Create a snippet: name (1–64, unique), text (1–2000, may use {{$contact.first_name}}-style variables), file_id", Tag: "Snippets", Request: createSnippetRequest{}, Response: snippetResponse{}, Status: http.StatusCreated})
	document(http.MethodPatch, v1+"/snippets/:id", Operation{Summary: "Change a snippet's name, text or file (file_id null removes it)", Tag: "Snippets", Request: updateSnippetDoc{}, Response: snippetResponse{}})
	document(http.MethodDelete, v1+"/snippets/:id", Operation{Summary: "Delete a snippet", Tag: "Snippets", Status: http.StatusNoContent})
	document(http.MethodPost, v1+"/snippets/:id/render", Operation{Summary: "Preview a snippet for a contact: its variables rendered for that contact and the caller", Tag: "Snippets", Request: renderSnippetRequest{}, Response: renderSnippetResponse{}})
}

type snippetResponse struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Text is the template as written, variables included ({{$contact.first_name}}).
	Text string `json:"text"`
	// FileID is an attachment from the file library, sent with the text.
	FileID    *int64    `json:"file_id"`
	CreatedBy *int64    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toSnippetResponse(sn dbsqlc.Snippet) snippetResponse {
	return snippetResponse{
		ID: sn.ID, Name: sn.Name, Text: sn.Text, FileID: sn.FileID, CreatedBy: sn.CreatedBy,
		CreatedAt: sn.CreatedAt, UpdatedAt: sn.UpdatedAt,
	}
}

// snippetFileID is the file_id of a PATCH: absent leaves it, null clears it, a number sets it.
type snippetFileID struct {
	Set   bool
	Value *int64
}

// UnmarshalJSON records that file_id was given; encoding/json calls it for null too.
func (f *snippetFileID) UnmarshalJSON(b []byte) error {
	f.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		f.Value = nil
		return nil
	}
	var v int64
	if err := json.Unmarshal(b, &v); err != nil {
		return errors.New("file_id must be an integer or null")
	}
	f.Value = &v
	return nil
}

type createSnippetRequest struct {
	Name   string `json:"name"`
	Text   string `json:"text"`
	FileID *int64 `json:"file_id"`
}

type updateSnippetRequest struct {
	Name   *string       `json:"name"`
	Text   *string       `json:"text"`
	FileID snippetFileID `json:"file_id"`
}

// updateSnippetDoc documents updateSnippetRequest's shape (every field optional).
type updateSnippetDoc struct {
	Name   *string `json:"name"`
	Text   *string `json:"text"`
	FileID *int64  `json:"file_id"`
}

// snippetName validates a name and returns it trimmed.
func snippetName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", invalid("name is required")
	}
	if n := utf8.RuneCountInString(name); n > snippetNameMaxLength {
		return "", invalid("name must be at most %d characters (got %d)", snippetNameMaxLength, n)
	}
	if strings.ContainsRune(name, 0) {
		return "", invalid("name must not contain NUL characters")
	}
	return name, nil
}

func checkSnippetFileID(id *int64) error {
	if id != nil && *id <= 0 {
		return invalid("file_id must be a positive id")
	}
	return nil
}

// snippetWriteError reports a taken name as a conflict that says which name.
func snippetWriteError(err error, name string) error {
	err = db.Error(err)
	if chatcenter.ErrorCode(err) == chatcenter.ECONFLICT {
		return chatcenter.Errorf(chatcenter.ECONFLICT, "a snippet named %q already exists", name)
	}
	return err
}

func (s *Server) loadSnippet(c *gin.Context) (dbsqlc.Snippet, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return dbsqlc.Snippet{}, chatcenter.Errorf(chatcenter.ENOTFOUND, "snippet not found")
	}
	sn, err := s.DB.SnippetGetByID(c.Request.Context(), dbsqlc.SnippetGetByIDParams{WorkspaceID: currentUser(c).WorkspaceID, ID: id})
	if db.IsNoRows(err) {
		return sn, chatcenter.Errorf(chatcenter.ENOTFOUND, "snippet not found")
	}
	return sn, err
}

type snippetCursor struct {
	ID int64 `json:"id"`
}

// listSnippets lists the workspace's snippets, newest first; ?search= keeps those whose name or
// text contains it (case-insensitive).
func (s *Server) listSnippets(c *gin.Context) {
	u := currentUser(c)
	var cur snippetCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	search := strings.TrimSpace(c.Query("search"))
	if utf8.RuneCountInString(search) > snippetTextMaxLength || strings.ContainsRune(search, 0) || !utf8.ValidString(search) {
		s.fail(c, invalid("search is not valid"))
		return
	}
	p := dbsqlc.SnippetListParams{WorkspaceID: u.WorkspaceID, Search: search, Max: limit + 1}
	if hasCursor {
		p.BeforeID = &cur.ID
	}
	rows, err := s.DB.SnippetList(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[snippetResponse]{Items: db.MapSlice(rows, toSnippetResponse)}
	if len(rows) > int(limit) {
		out.Items = out.Items[:limit]
		out.NextCursor = encodeCursor(snippetCursor{ID: out.Items[limit-1].ID})
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getSnippet(c *gin.Context) {
	sn, err := s.loadSnippet(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toSnippetResponse(sn))
}

func (s *Server) createSnippet(c *gin.Context) {
	var req createSnippetRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	name, err := snippetName(req.Name)
	if err == nil {
		err = checkFreeText("text", req.Text, snippetTextMaxLength)
	}
	if err == nil {
		err = checkSnippetFileID(req.FileID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out dbsqlc.Snippet
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		sn, err := q.SnippetInsert(ctx, dbsqlc.SnippetInsertParams{
			WorkspaceID: u.WorkspaceID, Name: name, Text: req.Text, FileID: req.FileID, CreatedBy: &u.ID,
		})
		if err != nil {
			return snippetWriteError(err, name)
		}
		out = sn
		return db.InsertEvent(ctx, q, db.Event{
			WorkspaceID: u.WorkspaceID, Type: "snippet.created", ActorUserID: u.ID,
			Payload: map[string]any{"snippet_id": sn.ID, "name": sn.Name},
		})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toSnippetResponse(out))
}

// updateSnippet changes the fields given; an empty object changes nothing.
func (s *Server) updateSnippet(c *gin.Context) {
	sn, err := s.loadSnippet(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req updateSnippetRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	p := dbsqlc.SnippetUpdateParams{WorkspaceID: sn.WorkspaceID, ID: sn.ID, SetFileID: req.FileID.Set, FileID: req.FileID.Value}
	if req.Name != nil {
		name, err := snippetName(*req.Name)
		if err != nil {
			s.fail(c, err)
			return
		}
		p.Name = &name
	}
	if req.Text != nil {
		if err := checkFreeText("text", *req.Text, snippetTextMaxLength); err != nil {
			s.fail(c, err)
			return
		}
		p.Text = req.Text
	}
	if err := checkSnippetFileID(req.FileID.Value); err != nil {
		s.fail(c, err)
		return
	}
	if p.Name == nil && p.Text == nil && !p.SetFileID {
		c.JSON(http.StatusOK, toSnippetResponse(sn))
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out dbsqlc.Snippet
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		updated, err := q.SnippetUpdate(ctx, p)
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "snippet not found")
		}
		if err != nil {
			name := sn.Name
			if p.Name != nil {
				name = *p.Name
			}
			return snippetWriteError(err, name)
		}
		out = updated
		return db.InsertEvent(ctx, q, db.Event{
			WorkspaceID: u.WorkspaceID, Type: "snippet.updated", ActorUserID: u.ID,
			Payload: map[string]any{"snippet_id": updated.ID, "name": updated.Name},
		})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toSnippetResponse(out))
}

func (s *Server) deleteSnippet(c *gin.Context) {
	sn, err := s.loadSnippet(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		n, err := q.SnippetDelete(ctx, dbsqlc.SnippetDeleteParams{WorkspaceID: sn.WorkspaceID, ID: sn.ID})
		if err != nil {
			return err
		}
		if n == 0 {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "snippet not found")
		}
		return db.InsertEvent(ctx, q, db.Event{
			WorkspaceID: u.WorkspaceID, Type: "snippet.deleted", ActorUserID: u.ID,
			Payload: map[string]any{"snippet_id": sn.ID, "name": sn.Name},
		})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type renderSnippetRequest struct {
	ContactID int64 `json:"contact_id"`
}

type renderSnippetResponse struct {
	Text   string `json:"text"`
	FileID *int64 `json:"file_id"`
}

// renderSnippet previews a snippet as it would be sent to a contact by the caller: variables
// rendered with the contact's fields and the caller's name.
func (s *Server) renderSnippet(c *gin.Context) {
	sn, err := s.loadSnippet(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req renderSnippetRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if req.ContactID <= 0 {
		s.fail(c, invalid("contact_id is required"))
		return
	}
	text, err := s.renderVariables(c.Request.Context(), currentUser(c), req.ContactID, sn.Text)
	if chatcenter.ErrorCode(err) == chatcenter.ENOTFOUND {
		// A body field naming nothing is bad input, as for the assignee of an assignment.
		err = invalid("contact %d not found", req.ContactID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, renderSnippetResponse{Text: text, FileID: sn.FileID})
}

// renderVariables renders the dynamic variables of text ({{$contact.first_name}},
// {{$user.first_name}}, …; see package variables) for the contact contactID of u's workspace, as
// sent by u. A contact of another workspace, or none, is ENOTFOUND; text that is not valid UTF-8
// is EINVALID.
func (s *Server) renderVariables(ctx context.Context, u *chatcenter.User, contactID int64, text string) (string, error) {
	row, err := s.DB.ContactGetByID(ctx, dbsqlc.ContactGetByIDParams{WorkspaceID: u.WorkspaceID, ID: contactID})
	if db.IsNoRows(err) {
		return "", chatcenter.Errorf(chatcenter.ENOTFOUND, "contact not found")
	}
	if err != nil {
		return "", err
	}
	ct := db.ToContact(row)
	data := variables.Data{
		Contact: variables.Contact{
			FirstName: ct.FirstName, LastName: ct.LastName, Language: ct.Language,
			CountryCode: ct.CountryCode, Lifecycle: ct.Lifecycle, CustomFields: ct.CustomFields,
		},
		User: variables.User{Name: u.Name, Email: u.Email},
	}
	if ct.Phone != nil {
		data.Contact.Phone = *ct.Phone
	}
	if ct.Email != nil {
		data.Contact.Email = *ct.Email
	}
	out, err := variables.Render(text, data)
	if err != nil {
		return "", invalid("%v", err)
	}
	return out, nil
}
