package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/api/serviceerror"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/contacts"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/fields"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// Contacts managed by people and integrations (respond.io's Contacts module): list and search,
// create, edit, tag, set the lifecycle stage, delete, and the contact's conversation history and
// activity log.

const (
	// contactTagsPerCall bounds the tags one request adds, removes or sets (respond.io: 1–10).
	contactTagsPerCall = 10
	contactTagMaxLen   = 255
	contactSearchMax   = 255
)

func init() {
	const v1 = "/api/v1"
	page := map[string]string{"limit": "1–100, default 25", "cursor": "next_cursor of the previous page"}
	listQuery := map[string]string{
		"search":    "case-insensitive text over first and last name, phone and e-mail",
		"tag":       "contacts with this tag",
		"lifecycle": "contacts in this lifecycle stage",
		"limit":     "1–100, default 25",
		"cursor":    "next_cursor of the previous page",
	}
	document(http.MethodGet, v1+"/contacts", Operation{Summary: "Contacts, newest first, with search and filters", Tag: "Contacts", Response: chatcenter.Contact{}, List: true, Query: listQuery})
	document(http.MethodPost, v1+"/contacts", Operation{Summary: "Create a contact (phone and e-mail unique in the workspace: 409)", Tag: "Contacts", Request: contactInputDoc{}, Response: chatcenter.Contact{}, Status: http.StatusCreated})
	document(http.MethodPatch, v1+"/contacts/:id", Operation{Summary: "Edit a contact: only the fields sent change, null clears; custom_fields merge, tags replace", Tag: "Contacts", Request: contactInputDoc{}, Response: chatcenter.Contact{}})
	document(http.MethodDelete, v1+"/contacts/:id", Operation{Summary: "Delete a contact with its conversations and messages; its conversation workflow is ended", Tag: "Contacts", Status: http.StatusNoContent})
	document(http.MethodPost, v1+"/contacts/:id/tags", Operation{Summary: "Add tags: a JSON array of 1–10 names", Tag: "Contacts", Request: []string{}, Response: chatcenter.Contact{}})
	document(http.MethodDelete, v1+"/contacts/:id/tags", Operation{Summary: "Remove tags: a JSON array of 1–10 names", Tag: "Contacts", Request: []string{}, Response: chatcenter.Contact{}})
	document(http.MethodPut, v1+"/contacts/:id/lifecycle", Operation{Summary: "Set the lifecycle stage ({\"name\": null} removes it)", Tag: "Contacts", Request: contactLifecycleDoc{}, Response: chatcenter.Contact{}})
	document(http.MethodGet, v1+"/contacts/:id/conversations", Operation{Summary: "The contact's conversations, newest first", Tag: "Contacts", Response: chatcenter.Conversation{}, List: true, Query: page})
	document(http.MethodGet, v1+"/contacts/:id/activity", Operation{Summary: "The contact's activity: conversations opened, closed, assigned; tags; field changes; comments", Tag: "Contacts", Response: contactActivity{}, List: true, Query: page})
}

// optionalField is a JSON member that tells "absent" (Set false) from null (Null) from a value,
// for partial updates where null clears.
type optionalField[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON is called only for members present in the object.
func (o *optionalField[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// contactInput is the body of POST /contacts and PATCH /contacts/:id. On create, first_name is
// required; absent and null mean the same. On edit, absent members keep their value and null
// clears an optional one.
type contactInput struct {
	FirstName    optionalField[string]                     `json:"first_name"`
	LastName     optionalField[string]                     `json:"last_name"`
	Phone        optionalField[string]                     `json:"phone"`
	Email        optionalField[string]                     `json:"email"`
	Language     optionalField[string]                     `json:"language"`
	CountryCode  optionalField[string]                     `json:"country_code"`
	CustomFields optionalField[map[string]json.RawMessage] `json:"custom_fields"`
	Tags         optionalField[[]string]                   `json:"tags"`
	Lifecycle    optionalField[string]                     `json:"lifecycle"`
}

// contactInputDoc is contactInput's wire shape, for the OpenAPI document.
type contactInputDoc struct {
	FirstName    *string         `json:"first_name"`
	LastName     *string         `json:"last_name"`
	Phone        *string         `json:"phone"`
	Email        *string         `json:"email"`
	Language     *string         `json:"language"`
	CountryCode  *string         `json:"country_code"`
	CustomFields *map[string]any `json:"custom_fields"`
	Tags         *[]string       `json:"tags"`
	Lifecycle    *string         `json:"lifecycle"`
}

type contactLifecycleDoc struct {
	Name *string `json:"name"`
}

type contactLifecycleRequest struct {
	Name optionalField[string] `json:"name"`
}

// contactValues are a contact's editable values (shared with flows' contact steps).
type contactValues = contacts.Values

func contactValuesOf(c dbsqlc.Contact) contactValues { return contacts.ValuesOf(c) }

// applyStandard validates and applies the standard members of in; create requires first_name.
func (in contactInput) applyStandard(v *contactValues, create bool) error {
	if in.FirstName.Set && !in.FirstName.Null {
		name, err := fields.PersonName(in.FirstName.Value)
		if err != nil {
			return invalid("first_name: %s", chatcenter.ErrorMessage(err))
		}
		v.FirstName = name
	} else if in.FirstName.Null && !create {
		return invalid("first_name cannot be removed")
	}
	if v.FirstName == "" {
		return invalid("first_name is required")
	}
	if in.LastName.Set {
		name, err := fields.PersonName(in.LastName.Value)
		if err != nil {
			return invalid("last_name: %s", chatcenter.ErrorMessage(err))
		}
		v.LastName = name
	}
	if in.Phone.Set {
		v.Phone = nil
		if s := strings.TrimSpace(in.Phone.Value); s != "" {
			p, err := fields.Phone(s)
			if err != nil {
				return err
			}
			v.Phone = &p
		}
	}
	if in.Email.Set {
		v.Email = nil
		if s := strings.TrimSpace(in.Email.Value); s != "" {
			e, err := fields.Email(s)
			if err != nil {
				return invalid("email: %s", chatcenter.ErrorMessage(err))
			}
			v.Email = &e
		}
	}
	if in.Language.Set {
		v.Language = ""
		if s := strings.TrimSpace(in.Language.Value); s != "" {
			l, err := fields.Language(s)
			if err != nil {
				return err
			}
			v.Language = l
		}
	}
	if in.CountryCode.Set {
		v.CountryCode = ""
		if s := strings.TrimSpace(in.CountryCode.Value); s != "" {
			cc, err := fields.CountryCode(s)
			if err != nil {
				return err
			}
			v.CountryCode = cc
		}
	}
	if in.Tags.Set {
		tags, err := contactTagNames(in.Tags.Value, 0)
		if err != nil {
			return err
		}
		v.Tags = tags
	}
	return nil
}

// applyStored validates and applies what depends on the workspace's settings: custom field values
// against their definitions and the lifecycle stage against the defined stages. The definitions
// and stages are share-locked until the transaction ends, so they cannot change under the edit.
func (in contactInput) applyStored(ctx context.Context, q *dbsqlc.Queries, workspaceID int64, v *contactValues) error {
	if in.CustomFields.Null {
		v.CustomFields = map[string]any{}
	}
	if raw := in.CustomFields.Value; len(raw) > 0 {
		slugs := make([]string, 0, len(raw))
		for slug := range raw {
			slugs = append(slugs, slug)
		}
		slices.Sort(slugs)
		for _, slug := range slugs {
			if !fields.SlugSyntax(slug) {
				return invalid("unknown custom field %q", truncateForMessage(slug))
			}
		}
		defs, err := q.ContactFieldListBySlugs(ctx, dbsqlc.ContactFieldListBySlugsParams{WorkspaceID: workspaceID, Slugs: slugs})
		if err != nil {
			return err
		}
		bySlug := map[string]dbsqlc.ContactField{}
		for _, d := range defs {
			bySlug[d.Slug] = d
		}
		for _, slug := range slugs {
			d, ok := bySlug[slug]
			if !ok {
				return invalid("unknown custom field %q (define it in settings first)", truncateForMessage(slug))
			}
			val, err := contactFieldDefinition(d).Value(raw[slug])
			if err != nil {
				return err
			}
			if val == nil {
				delete(v.CustomFields, slug)
			} else {
				v.CustomFields[slug] = val
			}
		}
	}
	if in.Lifecycle.Set {
		v.Lifecycle = ""
		if name := strings.TrimSpace(in.Lifecycle.Value); name != "" {
			raw, err := q.WorkspaceLifecycleStages(ctx, workspaceID)
			if err != nil {
				return err
			}
			stage, err := lifecycleStageNamed(decodeLifecycleStages(raw), name)
			if err != nil {
				return err
			}
			v.Lifecycle = stage
		}
	}
	return nil
}

// contactTagNames trims, checks and deduplicates tag names: each 1–255 characters, at most ten
// in one call, at least min.
func contactTagNames(names []string, min int) ([]string, error) {
	if len(names) < min {
		return nil, invalid("give at least %d tag name", min)
	}
	if len(names) > contactTagsPerCall {
		return nil, invalid("at most %d tags per request; got %d", contactTagsPerCall, len(names))
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
			return nil, invalid("tag names must not be empty")
		case utf8.RuneCountInString(n) > contactTagMaxLen:
			return nil, invalid("tag %q is longer than %d characters", truncateForMessage(n), contactTagMaxLen)
		case strings.IndexFunc(n, unicode.IsControl) >= 0:
			return nil, invalid("tag names must not contain control characters")
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func truncateForMessage(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}

// contactConflict turns a unique violation on the phone or e-mail index into a 409 that says
// which; the database enforces uniqueness, so concurrent creates cannot both win.
func contactConflict(err error, v contactValues) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		switch pgErr.ConstraintName {
		case "contacts_phone_key":
			return chatcenter.Errorf(chatcenter.ECONFLICT, "a contact with phone %s already exists", stringOrEmpty(v.Phone))
		case "contacts_email_key":
			return chatcenter.Errorf(chatcenter.ECONFLICT, "a contact with e-mail %s already exists", stringOrEmpty(v.Email))
		}
	}
	return db.Error(err)
}

func stringOrEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func marshalCustomFields(m map[string]any) ([]byte, error) { return contacts.MarshalCustomFields(m) }

func (s *Server) createContact(c *gin.Context) {
	u := currentUser(c)
	var in contactInput
	if err := bindJSON(c, &in, false); err != nil {
		s.fail(c, err)
		return
	}
	v := contactValues{CustomFields: map[string]any{}, Tags: []string{}}
	if err := in.applyStandard(&v, true); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var created dbsqlc.Contact
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if err := in.applyStored(ctx, q, u.WorkspaceID, &v); err != nil {
			return err
		}
		custom, err := marshalCustomFields(v.CustomFields)
		if err != nil {
			return err
		}
		created, err = q.ContactCreate(ctx, dbsqlc.ContactCreateParams{
			WorkspaceID: u.WorkspaceID, FirstName: v.FirstName, LastName: v.LastName, Phone: v.Phone, Email: v.Email,
			Language: v.Language, CountryCode: v.CountryCode, CustomFields: custom, Tags: v.Tags, Lifecycle: v.Lifecycle,
		})
		if err != nil {
			return contactConflict(err, v)
		}
		if err := db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "contact.created", ContactID: created.ID,
			ActorUserID: u.ID, Payload: map[string]any{"contact": db.ToContact(created), "source": chatcenter.SourceUser}}); err != nil {
			return err
		}
		// Tags given at creation are tag additions too: flows triggered by a tag see them.
		for _, tag := range v.Tags {
			if err := db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "contact.tag_added", ContactID: created.ID,
				ActorUserID: u.ID, Payload: map[string]any{"tag": tag}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, db.ToContact(created))
}

func (s *Server) updateContact(c *gin.Context) {
	var in contactInput
	if err := bindJSON(c, &in, false); err != nil {
		s.fail(c, err)
		return
	}
	s.changeContact(c, func(ctx context.Context, q *dbsqlc.Queries, v *contactValues) error {
		if err := in.applyStandard(v, false); err != nil {
			return err
		}
		return in.applyStored(ctx, q, currentUser(c).WorkspaceID, v)
	})
}

func (s *Server) addContactTags(c *gin.Context) { s.changeContactTags(c, true) }

func (s *Server) removeContactTags(c *gin.Context) { s.changeContactTags(c, false) }

// changeContactTags adds or removes tags given as a bare JSON array (respond.io's tag API).
// Tags already present (or already absent) change nothing and write no event.
func (s *Server) changeContactTags(c *gin.Context, add bool) {
	var names []string
	if err := bindJSON(c, &names, false); err != nil {
		s.fail(c, err)
		return
	}
	tags, err := contactTagNames(names, 1)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.changeContact(c, func(_ context.Context, _ *dbsqlc.Queries, v *contactValues) error {
		for _, t := range tags {
			has := slices.Contains(v.Tags, t)
			switch {
			case add && !has:
				v.Tags = append(v.Tags, t)
			case !add && has:
				v.Tags = slices.DeleteFunc(v.Tags, func(x string) bool { return x == t })
			}
		}
		return nil
	})
}

// setContactLifecycle sets or removes the contact's lifecycle stage.
func (s *Server) setContactLifecycle(c *gin.Context) {
	if _, err := s.loadContact(c); err != nil {
		s.fail(c, err)
		return
	}
	var req contactLifecycleRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if !req.Name.Set {
		s.fail(c, invalid("name is required: a lifecycle stage, or null to remove it"))
		return
	}
	in := contactInput{Lifecycle: req.Name}
	s.changeContact(c, func(ctx context.Context, q *dbsqlc.Queries, v *contactValues) error {
		return in.applyStored(ctx, q, currentUser(c).WorkspaceID, v)
	})
}

// changeContact is the read-modify-write of every contact edit: the contact is locked, change
// applies the edit to its values, and when anything changed the row is written with a
// contact.updated event, a contact.field_changed event per changed field and a tag event per tag
// added or removed, all in one transaction. It answers with the contact.
func (s *Server) changeContact(c *gin.Context, change func(ctx context.Context, q *dbsqlc.Queries, v *contactValues) error) {
	visible, err := s.loadContact(c) // 404 for other workspaces and for contacts the caller may not see
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out dbsqlc.Contact
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		row, err := q.ContactGetForUpdate(ctx, dbsqlc.ContactGetForUpdateParams{WorkspaceID: u.WorkspaceID, ID: visible.ID})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "contact not found")
		}
		if err != nil {
			return err
		}
		after := contactValuesOf(row)
		if err := change(ctx, q, &after); err != nil {
			return err
		}
		out, _, err = contacts.Save(ctx, q, row, after, u.ID, nil)
		if err != nil {
			return contactConflict(err, after)
		}
		return nil
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, db.ToContact(out))
}

// contactChangeEvents lists the field and tag events between two versions of a contact.
func contactChangeEvents(before, after contactValues) []db.Event {
	return contacts.ChangeEvents(before, after)
}

// deleteContact deletes a contact with its conversations, messages and identities. Its
// conversation workflow is ended first, so a failure to reach the engine changes nothing; a
// message that started a new run in between is ended by a second terminate after the delete.
func (s *Server) deleteContact(c *gin.Context) {
	ct, err := s.loadContact(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	if err := s.terminateContactWorkflow(ctx, ct.ID); err != nil {
		s.fail(c, err)
		return
	}
	// Its flow runs are stopped first: deleting the contact deletes their rows, and a run whose
	// row is gone would go on sending.
	if s.Flows != nil {
		if err := s.Flows.StopContact(ctx, u.WorkspaceID, ct.ID, "contact deleted"); err != nil {
			s.fail(c, err)
			return
		}
	}
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		row, err := q.ContactDelete(ctx, dbsqlc.ContactDeleteParams{WorkspaceID: u.WorkspaceID, ID: ct.ID})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "contact not found")
		}
		if err != nil {
			return err
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "contact.deleted", ContactID: row.ID,
			ActorUserID: u.ID, Payload: map[string]any{"contact": db.ToContact(row)}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.terminateContactWorkflow(ctx, ct.ID); err != nil {
		s.Log.WarnContext(ctx, "end the conversation workflow of a deleted contact", "contact_id", ct.ID,
			"request_id", c.GetString(ctxRequestID), "error", err)
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) terminateContactWorkflow(ctx context.Context, contactID int64) error {
	ctx, cancel := context.WithTimeout(ctx, s.UpdateTimeout)
	defer cancel()
	err := s.Temporal.TerminateWorkflow(ctx, workflows.ConversationWorkflowID(contactID), "", "contact deleted")
	var notFound *serviceerror.NotFound
	if err == nil || errors.As(err, &notFound) {
		return nil
	}
	return temporalError(err)
}

type contactIDCursor struct {
	ID int64 `json:"id"`
}

// contactsPhoneLike matches searches that look like (part of) a phone number.
var contactsPhoneLike = regexp.MustCompile(`^[+0-9 ()\-.]+$`)

func (s *Server) listContacts(c *gin.Context) {
	u := currentUser(c)
	var cur contactIDCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	search := strings.TrimSpace(c.Query("search"))
	if utf8.RuneCountInString(search) > contactSearchMax {
		s.fail(c, invalid("search is longer than %d characters", contactSearchMax))
		return
	}
	// Postgres text holds no NUL: such a filter can match nothing, and must not reach the query.
	if strings.ContainsRune(search+c.Query("tag")+c.Query("lifecycle"), 0) {
		s.fail(c, invalid("search, tag and lifecycle must not contain NUL characters"))
		return
	}
	vis := visibilityOf(u)
	p := dbsqlc.ContactListParams{WorkspaceID: u.WorkspaceID, Search: search, Max: limit + 1,
		VisibleTo: vis.restrictedTo, VisibleTeam: vis.teamMates}
	if contactsPhoneLike.MatchString(search) {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, search)
		if len(digits) >= 3 {
			p.SearchDigits = digits
		}
	}
	if t := strings.TrimSpace(c.Query("tag")); t != "" {
		p.Tag = &t
	}
	if l := strings.TrimSpace(c.Query("lifecycle")); l != "" {
		p.Lifecycle = &l
	}
	if hasCursor {
		p.BeforeID = &cur.ID
	}
	rows, err := s.DB.ContactList(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[chatcenter.Contact]{Items: db.MapSlice(rows, db.ToContact)}
	if len(rows) > int(limit) {
		out.Items = out.Items[:limit]
		out.NextCursor = encodeCursor(contactIDCursor{ID: out.Items[limit-1].ID})
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) listContactConversations(c *gin.Context) {
	ct, err := s.loadContact(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var cur contactIDCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := dbsqlc.ContactConversationListParams{WorkspaceID: ct.WorkspaceID, ContactID: ct.ID, Max: limit + 1}
	if hasCursor {
		p.BeforeID = &cur.ID
	}
	rows, err := s.DB.ContactConversationList(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[chatcenter.Conversation]{Items: db.MapSlice(rows, db.ToConversation)}
	if len(rows) > int(limit) {
		out.Items = out.Items[:limit]
		out.NextCursor = encodeCursor(contactIDCursor{ID: out.Items[limit-1].ID})
	}
	c.JSON(http.StatusOK, out)
}

// contactActivityTypes are the events the activity log shows (respond.io's contact Activity).
var contactActivityTypes = []string{
	"conversation.opened", "conversation.closed", "conversation.assigned", "conversation.unassigned",
	"contact.tag_added", "contact.tag_removed", "contact.field_changed", "comment.created",
}

// contactActivity is one entry of a contact's activity log.
type contactActivity struct {
	ID             int64  `json:"id"`
	Type           string `json:"type"`
	ConversationID *int64 `json:"conversation_id"`
	// ActorUserID is the user who acted; null for the contact, a workflow or the system.
	ActorUserID *int64         `json:"actor_user_id"`
	ActorName   string         `json:"actor_name"`
	CreatedAt   time.Time      `json:"created_at"`
	Details     map[string]any `json:"details"`
}

func (s *Server) listContactActivity(c *gin.Context) {
	ct, err := s.loadContact(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var cur contactIDCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := dbsqlc.ContactActivityListParams{WorkspaceID: ct.WorkspaceID, ContactID: ct.ID, Types: contactActivityTypes, Max: limit + 1}
	if hasCursor {
		p.BeforeID = &cur.ID
	}
	rows, err := s.DB.ContactActivityList(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[contactActivity]{Items: db.MapSlice(rows, toContactActivity)}
	if len(rows) > int(limit) {
		out.Items = out.Items[:limit]
		out.NextCursor = encodeCursor(contactIDCursor{ID: out.Items[limit-1].ID})
	}
	c.JSON(http.StatusOK, out)
}

// toContactActivity keeps what a person reads in the log: conversation events carry the
// conversation's key facts rather than the whole conversation.
func toContactActivity(r dbsqlc.ContactActivityListRow) contactActivity {
	a := contactActivity{ID: r.ID, Type: r.Type, ConversationID: r.ConversationID, ActorUserID: r.ActorUserID,
		ActorName: r.ActorName, CreatedAt: r.CreatedAt, Details: map[string]any{}}
	var payload map[string]any
	_ = json.Unmarshal(r.Payload, &payload)
	if !strings.HasPrefix(r.Type, "conversation.") {
		if payload != nil {
			a.Details = payload
		}
		return a
	}
	var p struct {
		Conversation chatcenter.Conversation `json:"conversation"`
		Source       string                  `json:"source"`
	}
	_ = json.Unmarshal(r.Payload, &p)
	conv := p.Conversation
	switch r.Type {
	case "conversation.opened":
		a.Details["source"] = conv.OpenedSource
	case "conversation.closed":
		a.Details["category"], a.Details["summary"], a.Details["closed_source"] = conv.Category, conv.Summary, conv.ClosedSource
	case "conversation.assigned":
		a.Details["assignee_id"], a.Details["team_id"] = conv.AssigneeID, conv.TeamID
		if r.AssigneeID != nil {
			a.Details["assignee_name"] = r.AssigneeName
		}
	}
	return a
}
