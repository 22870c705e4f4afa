package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// Comments are internal notes on a contact, visible to the whole workspace (respond.io's
// comments). A comment mentions users with {{@user.ID}}; each mentioned user is notified.

const (
	commentMaxLength = 1000
	// mentionExcerptLength bounds the comment excerpt carried by a mention notification.
	mentionExcerptLength = 200
)

// mentionPattern is respond.io's mention syntax. Only digits are accepted as the id; anything
// else is ordinary text.
var mentionPattern = chatcenter.MentionPattern

func init() {
	const v1 = "/api/v1"
	page := map[string]string{"limit": "1–100, default 25", "cursor": "next_cursor of the previous page"}
	document(http.MethodPost, v1+"/contacts/:id/comments", Operation{Summary: "Comment on a contact (1–1000 characters); mention users with {{@user.ID}} to notify them; parent_id makes it a reply", Tag: "Comments", Request: createCommentRequest{}, Response: commentResponse{}, Status: http.StatusCreated})
	document(http.MethodGet, v1+"/contacts/:id/comments", Operation{Summary: "The contact's comments and replies, newest first", Tag: "Comments", Response: commentResponse{}, List: true, Query: page})
	document(http.MethodDelete, v1+"/comments/:id", Operation{Summary: "Delete a comment and its replies (its author, an owner or a manager)", Tag: "Comments", Status: http.StatusNoContent})
}

type commentAuthor struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type commentResponse struct {
	ID        int64  `json:"id"`
	ContactID int64  `json:"contact_id"`
	ParentID  *int64 `json:"parent_id"`
	// Text is the comment as written, mentions included ({{@user.ID}}).
	Text string `json:"text"`
	// TextRendered shows mentions as @Name.
	TextRendered string  `json:"text_rendered"`
	Mentions     []int64 `json:"mentions"`
	AuthorID     *int64  `json:"author_id"`
	// Author is null when the author's account no longer exists.
	Author    *commentAuthor `json:"author"`
	CreatedAt time.Time      `json:"created_at"`
}

type createCommentRequest struct {
	Text     string `json:"text"`
	ParentID *int64 `json:"parent_id"`
}

// commentUser is what rendering a comment needs to know about a user.
type commentUser struct {
	name   string
	active bool
}

// mentionIDs returns the distinct user ids mentioned in text, in order of first mention.
func mentionIDs(text string) ([]int64, error) {
	ids := []int64{}
	for _, m := range mentionPattern.FindAllStringSubmatch(text, -1) {
		id, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return nil, invalid("mention %s does not name a user", m[0])
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// renderMentions replaces each mention of a known user with @Name; mentions of users that no
// longer exist stay as written.
func renderMentions(text string, users map[int64]commentUser) string {
	return mentionPattern.ReplaceAllStringFunc(text, func(m string) string {
		id, err := strconv.ParseInt(mentionPattern.FindStringSubmatch(m)[1], 10, 64)
		if u, ok := users[id]; err == nil && ok {
			return "@" + u.name
		}
		return m
	})
}

// commentUsers loads the authors and mentioned users of comments, by id.
func (s *Server) commentUsers(ctx context.Context, workspaceID int64, comments ...dbsqlc.Comment) (map[int64]commentUser, error) {
	var ids []int64
	for _, cm := range comments {
		if cm.AuthorID != nil {
			ids = append(ids, *cm.AuthorID)
		}
		ids = append(ids, cm.Mentions...)
	}
	out := map[int64]commentUser{}
	if len(ids) == 0 {
		return out, nil
	}
	slices.Sort(ids)
	rows, err := s.DB.CommentUsersByIDs(ctx, dbsqlc.CommentUsersByIDsParams{WorkspaceID: workspaceID, Ids: slices.Compact(ids)})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		name := strings.TrimSpace(r.Name)
		if name == "" {
			name = r.Email
		}
		out[r.ID] = commentUser{name: name, active: r.Active}
	}
	return out, nil
}

func toCommentResponse(cm dbsqlc.Comment, users map[int64]commentUser) commentResponse {
	mentions := cm.Mentions
	if mentions == nil {
		mentions = []int64{}
	}
	out := commentResponse{
		ID: cm.ID, ContactID: cm.ContactID, ParentID: cm.ParentID, Text: cm.Text,
		TextRendered: renderMentions(cm.Text, users), Mentions: mentions, AuthorID: cm.AuthorID,
		CreatedAt: cm.CreatedAt,
	}
	if cm.AuthorID != nil {
		if u, ok := users[*cm.AuthorID]; ok {
			out.Author = &commentAuthor{ID: *cm.AuthorID, Name: u.name}
		}
	}
	return out
}

// checkFreeText validates free text a user writes: not blank, at most limit characters, and no NUL
// (which Postgres cannot store).
func checkFreeText(field, text string, limit int) error {
	if strings.TrimSpace(text) == "" {
		return invalid("%s is required", field)
	}
	if n := utf8.RuneCountInString(text); n > limit {
		return invalid("%s must be at most %d characters (got %d)", field, limit, n)
	}
	if strings.ContainsRune(text, 0) {
		return invalid("%s must not contain NUL characters", field)
	}
	return nil
}

// mentionExcerpt shortens text to at most limit characters for a notification.
func mentionExcerpt(text string, limit int) string {
	if utf8.RuneCountInString(text) <= limit {
		return text
	}
	r := []rune(text)
	return string(r[:limit-1]) + "…"
}

// createComment adds a comment (or a reply) to a contact. Mentioned users must be active members
// of the workspace; each one other than the author gets a "mention" notification, written with
// the comment and its "comment.created" event in one transaction.
func (s *Server) createComment(c *gin.Context) {
	ct, err := s.loadContact(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req createCommentRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if err := checkFreeText("text", req.Text, commentMaxLength); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	u := currentUser(c)
	if req.ParentID != nil {
		parent, err := s.DB.CommentGetByID(ctx, dbsqlc.CommentGetByIDParams{WorkspaceID: u.WorkspaceID, ID: *req.ParentID})
		if db.IsNoRows(err) || (err == nil && parent.ContactID != ct.ID) {
			s.fail(c, invalid("parent_id %d is not a comment of this contact", *req.ParentID))
			return
		}
		if err != nil {
			s.fail(c, err)
			return
		}
	}
	mentions, err := mentionIDs(req.Text)
	if err != nil {
		s.fail(c, err)
		return
	}
	draft := dbsqlc.Comment{AuthorID: &u.ID, Mentions: mentions}
	users, err := s.commentUsers(ctx, u.WorkspaceID, draft)
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, id := range mentions {
		if mu, ok := users[id]; !ok || !mu.active {
			s.fail(c, invalid("mentioned user %d is not an active member of this workspace", id))
			return
		}
	}

	var out commentResponse
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		cm, err := q.CommentInsert(ctx, dbsqlc.CommentInsertParams{
			WorkspaceID: u.WorkspaceID, ContactID: ct.ID, AuthorID: &u.ID, ParentID: req.ParentID,
			Text: req.Text, Mentions: mentions,
		})
		if err != nil {
			return db.Error(err)
		}
		out = toCommentResponse(cm, users)
		if err := db.InsertEvent(ctx, q, db.Event{
			WorkspaceID: u.WorkspaceID, Type: "comment.created", ContactID: ct.ID, ActorUserID: u.ID,
			Payload: map[string]any{"comment_id": cm.ID, "comment": out},
		}); err != nil {
			return err
		}
		contactName := strings.TrimSpace(ct.FirstName + " " + ct.LastName)
		for _, id := range mentions {
			if id == u.ID {
				continue // mentioning yourself tells you nothing
			}
			if err := db.InsertNotification(ctx, q, db.Notification{
				WorkspaceID: u.WorkspaceID, UserID: id, Type: db.NotificationMention,
				ContactID: ct.ID, CommentID: cm.ID, ActorUserID: u.ID,
				Payload: map[string]any{
					"author_id": u.ID, "author_name": users[u.ID].name, "contact_name": contactName,
					"excerpt": mentionExcerpt(out.TextRendered, mentionExcerptLength),
				},
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

type commentCursor struct {
	ID int64 `json:"id"`
}

// listComments lists a contact's comments and replies together, newest first; replies carry
// their parent_id so clients can thread them.
func (s *Server) listComments(c *gin.Context) {
	ct, err := s.loadContact(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var cur commentCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := dbsqlc.CommentListByContactParams{WorkspaceID: ct.WorkspaceID, ContactID: ct.ID, Max: limit + 1}
	if hasCursor {
		p.BeforeID = &cur.ID
	}
	ctx := c.Request.Context()
	rows, err := s.DB.CommentListByContact(ctx, p)
	if err != nil {
		s.fail(c, err)
		return
	}
	var next *string
	if len(rows) > int(limit) {
		rows = rows[:limit]
		next = encodeCursor(commentCursor{ID: rows[limit-1].ID})
	}
	users, err := s.commentUsers(ctx, ct.WorkspaceID, rows...)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[commentResponse]{Items: make([]commentResponse, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		out.Items = append(out.Items, toCommentResponse(r, users))
	}
	c.JSON(http.StatusOK, out)
}

// deleteComment deletes a comment with its replies (and their mention notifications). Authors
// delete their own comments; owners and managers delete anyone's.
func (s *Server) deleteComment(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "comment not found"))
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	cm, err := s.DB.CommentGetByID(ctx, dbsqlc.CommentGetByIDParams{WorkspaceID: u.WorkspaceID, ID: id})
	if db.IsNoRows(err) {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "comment not found"))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	isAuthor := cm.AuthorID != nil && *cm.AuthorID == u.ID
	if !isAuthor && u.Role != chatcenter.RoleOwner && u.Role != chatcenter.RoleManager {
		s.fail(c, chatcenter.Errorf(chatcenter.EFORBIDDEN, "only the author, an owner or a manager may delete this comment"))
		return
	}
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		ids, err := q.CommentThreadIDs(ctx, dbsqlc.CommentThreadIDsParams{WorkspaceID: u.WorkspaceID, ID: id})
		if err != nil {
			return err
		}
		n, err := q.CommentDelete(ctx, dbsqlc.CommentDeleteParams{WorkspaceID: u.WorkspaceID, ID: id})
		if err != nil {
			return err
		}
		if n == 0 { // deleted meanwhile
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "comment not found")
		}
		return db.InsertEvent(ctx, q, db.Event{
			WorkspaceID: u.WorkspaceID, Type: "comment.deleted", ContactID: cm.ContactID, ActorUserID: u.ID,
			Payload: map[string]any{"comment_id": id, "deleted_ids": ids},
		})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
