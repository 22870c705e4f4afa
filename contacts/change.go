// Package contacts holds what every edit of a contact shares, whoever makes it (an agent through
// the API, a flow step): the editable values, the events a change writes, and writing the row.
// Those events are what Contact Tag/Field Updated flows fire on, so they must be the same for
// every writer.
package contacts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// Values are a contact's editable values, compared before and after a change.
type Values struct {
	FirstName    string
	LastName     string
	Phone        *string
	Email        *string
	Language     string
	CountryCode  string
	CustomFields map[string]any
	Tags         []string
	Lifecycle    string
}

// ValuesOf reads a stored contact's values.
func ValuesOf(c dbsqlc.Contact) Values {
	v := Values{
		FirstName: c.FirstName, LastName: c.LastName, Phone: c.Phone, Email: c.Email, Language: c.Language,
		CountryCode: c.CountryCode, CustomFields: map[string]any{}, Tags: slices.Clone(c.Tags), Lifecycle: c.Lifecycle,
	}
	// Numbers stay exact (json.Number), as fields.Value produces them, so unchanged values compare equal.
	dec := json.NewDecoder(bytes.NewReader(c.CustomFields))
	dec.UseNumber()
	_ = dec.Decode(&v.CustomFields)
	if v.CustomFields == nil {
		v.CustomFields = map[string]any{}
	}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	return v
}

// ChangeEvents lists the field and tag events between two versions of a contact (without
// workspace, contact and actor, which the caller sets).
func ChangeEvents(before, after Values) []db.Event {
	var out []db.Event
	field := func(name string, was, now any, custom bool) {
		p := map[string]any{"field": name, "old": was, "new": now}
		if custom {
			p["custom"] = true
		}
		out = append(out, db.Event{Type: "contact.field_changed", Payload: p})
	}
	text := func(name, was, now string) {
		if was != now {
			field(name, emptyAsNil(was), emptyAsNil(now), false)
		}
	}
	text("first_name", before.FirstName, after.FirstName)
	text("last_name", before.LastName, after.LastName)
	text("phone", deref(before.Phone), deref(after.Phone))
	text("email", deref(before.Email), deref(after.Email))
	text("language", before.Language, after.Language)
	text("country_code", before.CountryCode, after.CountryCode)
	text("lifecycle", before.Lifecycle, after.Lifecycle)

	slugs := make([]string, 0, len(before.CustomFields)+len(after.CustomFields))
	for k := range before.CustomFields {
		slugs = append(slugs, k)
	}
	for k := range after.CustomFields {
		if _, ok := before.CustomFields[k]; !ok {
			slugs = append(slugs, k)
		}
	}
	slices.Sort(slugs)
	for _, slug := range slugs {
		was, now := before.CustomFields[slug], after.CustomFields[slug]
		if !reflect.DeepEqual(was, now) {
			field(slug, was, now, true)
		}
	}

	for _, t := range after.Tags {
		if !slices.Contains(before.Tags, t) {
			out = append(out, db.Event{Type: "contact.tag_added", Payload: map[string]any{"tag": t}})
		}
	}
	for _, t := range before.Tags {
		if !slices.Contains(after.Tags, t) {
			out = append(out, db.Event{Type: "contact.tag_removed", Payload: map[string]any{"tag": t}})
		}
	}
	return out
}

// Save writes after over the locked row when it differs from it: the row, one event per changed
// field and tag, and a contact.updated event, in the caller's transaction. extra is added to
// every event's payload (a flow's changes name the run). It returns the stored contact and
// whether anything changed; a unique violation (phone, e-mail) comes back as the database's
// error for the caller to translate.
func Save(ctx context.Context, q *dbsqlc.Queries, row dbsqlc.Contact, after Values, actorID int64, extra map[string]any) (dbsqlc.Contact, bool, error) {
	events := ChangeEvents(ValuesOf(row), after)
	if len(events) == 0 {
		return row, false, nil
	}
	out, err := Write(ctx, q, row.WorkspaceID, row.ID, after)
	if err != nil {
		return row, false, err
	}
	for _, e := range events {
		e.WorkspaceID, e.ContactID, e.ActorUserID = row.WorkspaceID, row.ID, actorID
		for k, v := range extra {
			e.Payload[k] = v
		}
		if err := db.InsertEvent(ctx, q, e); err != nil {
			return out, true, err
		}
	}
	p := map[string]any{"contact": db.ToContact(out), "changed": Changed(events)}
	for k, v := range extra {
		p[k] = v
	}
	return out, true, db.InsertEvent(ctx, q, db.Event{WorkspaceID: row.WorkspaceID, Type: "contact.updated", ContactID: row.ID,
		ActorUserID: actorID, Payload: p})
}

// Write stores the values on the contact. Unique violations (phone, e-mail) come back as the
// database's error for the caller to translate.
func Write(ctx context.Context, q *dbsqlc.Queries, workspaceID, contactID int64, v Values) (dbsqlc.Contact, error) {
	custom, err := MarshalCustomFields(v.CustomFields)
	if err != nil {
		return dbsqlc.Contact{}, err
	}
	return q.ContactUpdate(ctx, dbsqlc.ContactUpdateParams{
		WorkspaceID: workspaceID, ID: contactID, FirstName: v.FirstName, LastName: v.LastName,
		Phone: v.Phone, Email: v.Email, Language: v.Language, CountryCode: v.CountryCode,
		CustomFields: custom, Tags: v.Tags, Lifecycle: v.Lifecycle,
	})
}

// MarshalCustomFields encodes custom field values for storage.
func MarshalCustomFields(m map[string]any) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode custom fields: %w", err)
	}
	return b, nil
}

// Changed lists the names of what the events changed ("tags" once for any tag), for the
// contact.updated event.
func Changed(events []db.Event) []string {
	changed := []string{}
	for _, e := range events {
		switch {
		case e.Type == "contact.field_changed":
			changed = append(changed, e.Payload["field"].(string))
		case !slices.Contains(changed, "tags"):
			changed = append(changed, "tags")
		}
	}
	return changed
}

func emptyAsNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
