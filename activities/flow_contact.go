package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgconn"
	"reflect"
	"slices"
	"strings"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/fields"
)

// contactChange is a flow's edit of one locked contact: the values before and after, written
// with one contact.field_changed event per changed field and one tag event per tag, the events
// an agent's edit writes (so Contact Tag/Field Updated flows fire the same way).
type contactChange struct {
	row      dbsqlc.Contact
	original dbsqlc.Contact
	before   map[string]any
	after    map[string]any
	tags     []string
}

func newContactChange(row dbsqlc.Contact) *contactChange {
	c := &contactChange{row: row, original: row, tags: slices.Clone(row.Tags)}
	c.before = customFields(row.CustomFields)
	c.after = customFields(row.CustomFields)
	if c.tags == nil {
		c.tags = []string{}
	}
	return c
}

func customFields(raw []byte) map[string]any {
	m := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&m)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

func (c *contactChange) addTag(t string) {
	t = strings.TrimSpace(t)
	if t != "" && !slices.Contains(c.tags, t) {
		c.tags = append(c.tags, t)
	}
}

func (c *contactChange) removeTag(t string) {
	t = strings.TrimSpace(t)
	c.tags = slices.DeleteFunc(c.tags, func(x string) bool { return x == t })
}

// setField sets a standard field or a custom field (by slug) from text; "" clears it.
func (c *contactChange) setField(ctx context.Context, q *dbsqlc.Queries, workspaceID int64, name, value string) error {
	value = strings.TrimSpace(value)
	opt := func(f func(string) (string, error)) (*string, error) {
		if value == "" {
			return nil, nil
		}
		v, err := f(value)
		if err != nil {
			return nil, chatcenter.Errorf(chatcenter.EINVALID, "%s: %s", name, chatcenter.ErrorMessage(err))
		}
		return &v, nil
	}
	text := func(f func(string) (string, error)) (string, error) {
		if value == "" {
			return "", nil
		}
		v, err := f(value)
		if err != nil {
			return "", chatcenter.Errorf(chatcenter.EINVALID, "%s: %s", name, chatcenter.ErrorMessage(err))
		}
		return v, nil
	}
	var err error
	switch name {
	case "first_name":
		if value == "" {
			return chatcenter.Errorf(chatcenter.EINVALID, "first_name cannot be removed")
		}
		c.row.FirstName, err = text(fields.PersonName)
	case "last_name":
		c.row.LastName, err = text(fields.PersonName)
	case "phone":
		c.row.Phone, err = opt(fields.Phone)
	case "email":
		c.row.Email, err = opt(fields.Email)
	case "language":
		c.row.Language, err = text(fields.Language)
	case "country_code":
		c.row.CountryCode, err = text(fields.CountryCode)
	case "lifecycle":
		if value != "" {
			raw, err := q.WorkspaceLifecycleStages(ctx, workspaceID)
			if err != nil {
				return err
			}
			var stages []struct {
				Name string `json:"name"`
			}
			_ = json.Unmarshal(raw, &stages)
			if !slices.ContainsFunc(stages, func(s struct {
				Name string `json:"name"`
			}) bool {
				return strings.EqualFold(s.Name, value)
			}) {
				return chatcenter.Errorf(chatcenter.EINVALID, "lifecycle: %q is not a lifecycle stage of this workspace", value)
			}
		}
		c.row.Lifecycle = value
	default:
		defs, err := q.ContactFieldListBySlugs(ctx, dbsqlc.ContactFieldListBySlugsParams{WorkspaceID: workspaceID, Slugs: []string{name}})
		if err != nil {
			return err
		}
		if len(defs) == 0 {
			return chatcenter.Errorf(chatcenter.EINVALID, "unknown contact field %q", name)
		}
		if value == "" {
			delete(c.after, name)
			return nil
		}
		d := defs[0]
		def := fields.Definition{Name: d.Name, Slug: d.Slug, Type: fields.Type(d.Type), Options: d.Options, Description: d.Description}
		raw, _ := json.Marshal(value)
		v, err := def.Value(raw)
		if err != nil {
			return err
		}
		c.after[name] = v
	}
	return err
}

// save writes the contact and its events when anything changed. runID names the flow run that
// made the change in each event, so flows it triggers know their cause (flowrun.MaxDepth).
func (c *contactChange) save(ctx context.Context, q *dbsqlc.Queries, workspaceID, runID int64) error {
	old := c.orig()
	var events []db.Event
	field := func(name string, was, now any, custom bool) {
		p := map[string]any{"field": name, "old": was, "new": now, "source": "workflow", "run_id": runID}
		if custom {
			p["custom"] = true
		}
		events = append(events, db.Event{Type: "contact.field_changed", Payload: p})
	}
	text := func(name, was, now string) {
		if was != now {
			field(name, nilIfEmpty(was), nilIfEmpty(now), false)
		}
	}
	text("first_name", old.FirstName, c.row.FirstName)
	text("last_name", old.LastName, c.row.LastName)
	text("phone", deref(old.Phone), deref(c.row.Phone))
	text("email", deref(old.Email), deref(c.row.Email))
	text("language", old.Language, c.row.Language)
	text("country_code", old.CountryCode, c.row.CountryCode)
	text("lifecycle", old.Lifecycle, c.row.Lifecycle)
	slugs := []string{}
	for k := range c.before {
		slugs = append(slugs, k)
	}
	for k := range c.after {
		if _, ok := c.before[k]; !ok {
			slugs = append(slugs, k)
		}
	}
	slices.Sort(slugs)
	for _, s := range slugs {
		if !reflect.DeepEqual(c.before[s], c.after[s]) {
			field(s, c.before[s], c.after[s], true)
		}
	}
	for _, t := range c.tags {
		if !slices.Contains(old.Tags, t) {
			events = append(events, db.Event{Type: "contact.tag_added", Payload: map[string]any{"tag": t, "source": "workflow", "run_id": runID}})
		}
	}
	for _, t := range old.Tags {
		if !slices.Contains(c.tags, t) {
			events = append(events, db.Event{Type: "contact.tag_removed", Payload: map[string]any{"tag": t, "source": "workflow", "run_id": runID}})
		}
	}
	if len(events) == 0 {
		return nil
	}
	custom, err := json.Marshal(c.after)
	if err != nil {
		return err
	}
	out, err := q.ContactUpdate(ctx, dbsqlc.ContactUpdateParams{
		WorkspaceID: workspaceID, ID: c.row.ID, FirstName: c.row.FirstName, LastName: c.row.LastName,
		Phone: c.row.Phone, Email: c.row.Email, Language: c.row.Language, CountryCode: c.row.CountryCode,
		CustomFields: custom, Tags: c.tags, Lifecycle: c.row.Lifecycle,
	})
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return chatcenter.Errorf(chatcenter.ECONFLICT, "another contact already has this phone or e-mail")
		}
		return fmt.Errorf("update contact: %w", err)
	}
	changed := []string{}
	for _, e := range events {
		e.WorkspaceID, e.ContactID = workspaceID, c.row.ID
		if e.Type == "contact.field_changed" {
			changed = append(changed, e.Payload["field"].(string))
		} else if !slices.Contains(changed, "tags") {
			changed = append(changed, "tags")
		}
		if err := db.InsertEvent(ctx, q, e); err != nil {
			return err
		}
	}
	return db.InsertEvent(ctx, q, db.Event{WorkspaceID: workspaceID, Type: "contact.updated", ContactID: c.row.ID,
		Payload: map[string]any{"contact": db.ToContact(out), "changed": changed, "source": "workflow"}})
}

// orig is the row as it was read (setField edits c.row in place).
func (c *contactChange) orig() dbsqlc.Contact { return c.original }

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
