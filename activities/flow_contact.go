package activities

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/contacts"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/fields"
)

// contactChange is a flow's edit of one locked contact, saved with the same events an agent's
// edit writes (package contacts), so Contact Tag/Field Updated flows fire the same way.
type contactChange struct {
	row dbsqlc.Contact
	v   contacts.Values
}

func newContactChange(row dbsqlc.Contact) *contactChange {
	return &contactChange{row: row, v: contacts.ValuesOf(row)}
}

func (c *contactChange) addTag(t string) {
	t = strings.TrimSpace(t)
	if t != "" && !slices.Contains(c.v.Tags, t) {
		c.v.Tags = append(c.v.Tags, t)
	}
}

func (c *contactChange) removeTag(t string) {
	t = strings.TrimSpace(t)
	c.v.Tags = slices.DeleteFunc(c.v.Tags, func(x string) bool { return x == t })
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
		c.v.FirstName, err = text(fields.PersonName)
	case "last_name":
		c.v.LastName, err = text(fields.PersonName)
	case "phone":
		c.v.Phone, err = opt(fields.Phone)
	case "email":
		c.v.Email, err = opt(fields.Email)
	case "language":
		c.v.Language, err = text(fields.Language)
	case "country_code":
		c.v.CountryCode, err = text(fields.CountryCode)
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
			// Stored as the stage is named ("hot lead" stores "Hot Lead"), as the API does.
			i := slices.IndexFunc(stages, func(s struct {
				Name string `json:"name"`
			}) bool {
				return strings.EqualFold(s.Name, value)
			})
			if i < 0 {
				return chatcenter.Errorf(chatcenter.EINVALID, "lifecycle: %q is not a lifecycle stage of this workspace", value)
			}
			value = stages[i].Name
		}
		c.v.Lifecycle = value
	default:
		defs, err := q.ContactFieldListBySlugs(ctx, dbsqlc.ContactFieldListBySlugsParams{WorkspaceID: workspaceID, Slugs: []string{name}})
		if err != nil {
			return err
		}
		if len(defs) == 0 {
			return chatcenter.Errorf(chatcenter.EINVALID, "unknown contact field %q", name)
		}
		if value == "" {
			delete(c.v.CustomFields, name)
			return nil
		}
		d := defs[0]
		def := fields.Definition{Name: d.Name, Slug: d.Slug, Type: fields.Type(d.Type), Options: d.Options, Description: d.Description}
		raw, _ := json.Marshal(value)
		v, err := def.Value(raw)
		if err != nil {
			return err
		}
		c.v.CustomFields[name] = v
	}
	return err
}

// save writes the contact and its events when anything changed; every event names the flow run
// that made the change, so flows it triggers know their cause (flowrun.MaxDepth).
func (c *contactChange) save(ctx context.Context, q *dbsqlc.Queries, runID int64) error {
	_, _, err := contacts.Save(ctx, q, c.row, c.v, 0, map[string]any{"source": "workflow", "run_id": runID})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return chatcenter.Errorf(chatcenter.ECONFLICT, "another contact already has this phone or e-mail")
	}
	return err
}
