package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/fields"
)

// Contact field definitions (respond.io's Settings → Contact Fields): the standard fields every
// contact has, and the custom fields a workspace defines. Values are validated by package fields.

func init() {
	const v1 = "/api/v1"
	document(http.MethodGet, v1+"/settings/contact-fields", Operation{Summary: "Contact fields: the standard ones, then the custom ones in creation order", Tag: "Settings", Response: contactFieldView{}, List: true})
	document(http.MethodPost, v1+"/settings/contact-fields", Operation{Summary: "Define a custom contact field (slug derived from the name when absent)", Tag: "Settings", Request: contactFieldCreateRequest{}, Response: contactFieldView{}, Status: http.StatusCreated})
	document(http.MethodPatch, v1+"/settings/contact-fields/:id", Operation{Summary: "Rename a custom field, change its description or list options (values no longer allowed are cleared)", Tag: "Settings", Request: contactFieldUpdateRequest{}, Response: contactFieldView{}})
	document(http.MethodDelete, v1+"/settings/contact-fields/:id", Operation{Summary: "Delete a custom field and its value on every contact", Tag: "Settings", Status: http.StatusNoContent})
}

// contactFieldView is a contact field as the API shows it. Standard fields have no id.
type contactFieldView struct {
	ID          *int64     `json:"id"`
	Name        string     `json:"name"`
	Slug        string     `json:"slug"`
	Type        string     `json:"type"`
	Options     []string   `json:"options"`
	Description string     `json:"description"`
	Standard    bool       `json:"standard"`
	CreatedAt   *time.Time `json:"created_at"`
	UpdatedAt   *time.Time `json:"updated_at"`
}

func toContactFieldView(f dbsqlc.ContactField) contactFieldView {
	opts := f.Options
	if opts == nil {
		opts = []string{}
	}
	return contactFieldView{ID: &f.ID, Name: f.Name, Slug: f.Slug, Type: f.Type, Options: opts,
		Description: f.Description, CreatedAt: &f.CreatedAt, UpdatedAt: &f.UpdatedAt}
}

func contactFieldDefinition(f dbsqlc.ContactField) fields.Definition {
	return fields.Definition{Name: f.Name, Slug: f.Slug, Type: fields.Type(f.Type), Options: f.Options, Description: f.Description}
}

type contactFieldCreateRequest struct {
	Name        string      `json:"name"`
	Slug        string      `json:"slug"`
	Type        fields.Type `json:"type"`
	Options     []string    `json:"options"`
	Description string      `json:"description"`
}

// contactFieldUpdateRequest changes what may change: slug and type are fixed once created (flows,
// imports and stored values depend on them), and are accepted only unchanged.
type contactFieldUpdateRequest struct {
	Name        *string      `json:"name"`
	Slug        *string      `json:"slug"`
	Type        *fields.Type `json:"type"`
	Options     *[]string    `json:"options"`
	Description *string      `json:"description"`
}

func (s *Server) listContactFields(c *gin.Context) {
	rows, err := s.DB.ContactFieldList(c.Request.Context(), currentUser(c).WorkspaceID)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[contactFieldView]{Items: make([]contactFieldView, 0, len(fields.StandardFields)+len(rows))}
	for _, f := range fields.StandardFields {
		out.Items = append(out.Items, contactFieldView{Name: f.Name, Slug: f.Slug, Type: f.Type, Options: []string{}, Standard: true})
	}
	for _, r := range rows {
		out.Items = append(out.Items, toContactFieldView(r))
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) createContactField(c *gin.Context) {
	u := currentUser(c)
	var req contactFieldCreateRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	d := fields.Definition{Name: req.Name, Slug: req.Slug, Type: req.Type, Options: req.Options, Description: req.Description}
	if err := d.Normalize(); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var created dbsqlc.ContactField
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		// Serialise creations in the workspace so the limit holds under concurrency.
		if err := q.AdvisoryXactLock(ctx, db.LockKey("contact_fields", u.WorkspaceID)); err != nil {
			return err
		}
		n, err := q.ContactFieldCount(ctx, u.WorkspaceID)
		if err != nil {
			return err
		}
		if n >= fields.MaxPerWorkspace {
			return invalid("a workspace has at most %d custom fields", fields.MaxPerWorkspace)
		}
		created, err = q.ContactFieldInsert(ctx, dbsqlc.ContactFieldInsertParams{
			WorkspaceID: u.WorkspaceID, Name: d.Name, Slug: d.Slug, Type: string(d.Type), Options: d.Options, Description: d.Description,
		})
		if err != nil {
			return contactFieldConflict(err, d)
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "contact_field.created", ActorUserID: u.ID,
			Payload: map[string]any{"field": toContactFieldView(created)}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toContactFieldView(created))
}

func (s *Server) updateContactField(c *gin.Context) {
	u := currentUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "contact field not found"))
		return
	}
	var req contactFieldUpdateRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var updated dbsqlc.ContactField
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		row, err := q.ContactFieldGetForUpdate(ctx, dbsqlc.ContactFieldGetForUpdateParams{WorkspaceID: u.WorkspaceID, ID: id})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "contact field not found")
		}
		if err != nil {
			return err
		}
		d := contactFieldDefinition(row)
		if req.Slug != nil && *req.Slug != row.Slug {
			return invalid("the slug of a field cannot change; create a new field instead")
		}
		if req.Type != nil && string(*req.Type) != row.Type {
			return invalid("the type of a field cannot change; create a new field instead")
		}
		if req.Name != nil {
			d.Name = *req.Name
		}
		if req.Description != nil {
			d.Description = *req.Description
		}
		if req.Options != nil {
			d.Options = *req.Options
		}
		if err := d.Normalize(); err != nil {
			return err
		}
		updated, err = q.ContactFieldUpdate(ctx, dbsqlc.ContactFieldUpdateParams{
			WorkspaceID: u.WorkspaceID, ID: id, Name: d.Name, Options: d.Options, Description: d.Description,
		})
		if err != nil {
			return contactFieldConflict(err, d)
		}
		var cleared int64
		if d.Type == fields.TypeList {
			// A list value must be one of the options: values of removed options are cleared.
			cleared, err = q.ContactCustomFieldClear(ctx, dbsqlc.ContactCustomFieldClearParams{WorkspaceID: u.WorkspaceID, Slug: d.Slug, Keep: d.Options})
			if err != nil {
				return err
			}
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "contact_field.updated", ActorUserID: u.ID,
			Payload: map[string]any{"field": toContactFieldView(updated), "contacts_cleared": cleared}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toContactFieldView(updated))
}

func (s *Server) deleteContactField(c *gin.Context) {
	u := currentUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "contact field not found"))
		return
	}
	ctx := c.Request.Context()
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		row, err := q.ContactFieldDelete(ctx, dbsqlc.ContactFieldDeleteParams{WorkspaceID: u.WorkspaceID, ID: id})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "contact field not found")
		}
		if err != nil {
			return err
		}
		cleared, err := q.ContactCustomFieldClear(ctx, dbsqlc.ContactCustomFieldClearParams{WorkspaceID: u.WorkspaceID, Slug: row.Slug})
		if err != nil {
			return err
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "contact_field.deleted", ActorUserID: u.ID,
			Payload: map[string]any{"field": toContactFieldView(row), "contacts_cleared": cleared}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// contactFieldConflict says which uniqueness a definition broke.
func contactFieldConflict(err error, d fields.Definition) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		switch pgErr.ConstraintName {
		case "contact_fields_slug_key":
			return chatcenter.Errorf(chatcenter.ECONFLICT, "a custom field with slug %q already exists", d.Slug)
		case "contact_fields_name_key":
			return chatcenter.Errorf(chatcenter.ECONFLICT, "a custom field named %q already exists", d.Name)
		}
	}
	return db.Error(err)
}
