package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/fields"
	"github.com/chatcenterhq/chatcenter/flowrun"
	"github.com/chatcenterhq/chatcenter/flows"
	"github.com/chatcenterhq/chatcenter/secret"
)

// Incoming Webhook triggers: a flow whose trigger is incoming_webhook has a secret URL
// (/hooks/flows/{token}); another system POSTs a JSON object there about a contact, found or
// created by phone or e-mail, and the flow runs for that contact with the body as variables.
// The token is the only credential: it is shown to owners and managers, can be rotated, and is
// never logged (routes are logged by pattern).

const (
	// maxFlowHookBody bounds what a webhook call may send.
	maxFlowHookBody = 64 << 10
	// maxFlowHookDepth bounds how deeply a webhook body may nest.
	maxFlowHookDepth = 32
	// webhookTokenBytes is the token's randomness (base64url: 43 characters).
	webhookTokenBytes = 32
)

func init() {
	const v1 = "/api/v1"
	document(http.MethodGet, v1+"/flows/:id/webhook", Operation{Summary: "The secret URL of an Incoming Webhook flow (given when the flow first needs one)", Tag: "Flows", Response: flowWebhookResponse{}})
	document(http.MethodPost, v1+"/flows/:id/webhook/rotate", Operation{Summary: "Give the flow a new webhook URL; the old one stops working at once", Tag: "Flows", Response: flowWebhookResponse{}})
	document(http.MethodPost, "/hooks/flows/:token", Operation{Summary: "Incoming Webhook: a JSON object (at most 64 KiB) about a contact found or created by phone (E.164) or email, at the top level or under \"contact\"; the body, flattened (order_items_0_sku), becomes the run's variables (Idempotency-Key header honoured)", Tag: "Flows", Request: map[string]any{}, Response: flowHookResponse{}, Status: http.StatusAccepted})
}

type flowWebhookResponse struct {
	URL string `json:"url"`
}

// flowHookResponse answers a webhook call: the run (null when a once-per-contact flow skipped the
// contact), whether this call enrolled it, and the contact.
type flowHookResponse struct {
	RunID     *int64 `json:"run_id"`
	Enrolled  bool   `json:"enrolled"`
	ContactID int64  `json:"contact_id"`
}

func newWebhookToken() string { return secret.RandomToken(webhookTokenBytes) }

func (s *Server) flowWebhookURL(token string) string {
	return s.baseURL() + "/hooks/flows/" + token
}

// initWebhookToken gives an Incoming Webhook flow its token if it has none yet, in the caller's
// transaction; a flow that has one keeps it.
func initWebhookToken(ctx context.Context, q *dbsqlc.Queries, f dbsqlc.Flow) error {
	if f.WebhookToken != nil || f.TriggerType != flows.TriggerIncomingWebhook {
		return nil
	}
	_, err := q.FlowWebhookTokenInit(ctx, dbsqlc.FlowWebhookTokenInitParams{WebhookToken: newWebhookToken(), WorkspaceID: f.WorkspaceID, ID: f.ID})
	if db.IsNoRows(err) {
		return nil
	}
	return err
}

// loadWebhookFlow loads a flow that has, or may get, a webhook URL.
func (s *Server) loadWebhookFlow(c *gin.Context) (dbsqlc.Flow, error) {
	f, err := s.loadFlow(c)
	if err != nil {
		return f, err
	}
	if f.WebhookToken == nil && f.TriggerType != flows.TriggerIncomingWebhook {
		return f, chatcenter.Errorf(chatcenter.ECONFLICT, "the flow's trigger is %s, not incoming_webhook", f.TriggerType)
	}
	return f, nil
}

func (s *Server) getFlowWebhook(c *gin.Context) {
	f, err := s.loadWebhookFlow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if f.WebhookToken == nil {
		if err := initWebhookToken(ctx, s.DB.Queries, f); err != nil {
			s.fail(c, err)
			return
		}
		// Re-read: a concurrent call may have given the token first.
		if f, err = s.loadFlow(c); err != nil {
			s.fail(c, err)
			return
		}
		if f.WebhookToken == nil {
			s.fail(c, chatcenter.Errorf(chatcenter.ECONFLICT, "the flow's trigger changed; try again"))
			return
		}
	}
	c.JSON(http.StatusOK, flowWebhookResponse{URL: s.flowWebhookURL(*f.WebhookToken)})
}

func (s *Server) rotateFlowWebhook(c *gin.Context) {
	f, err := s.loadWebhookFlow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out dbsqlc.Flow
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		out, err = q.FlowSetWebhookToken(ctx, dbsqlc.FlowSetWebhookTokenParams{WebhookToken: newWebhookToken(), WorkspaceID: f.WorkspaceID, ID: f.ID})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "flow not found")
		}
		if err != nil {
			return err
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "flow.webhook_rotated", ActorUserID: u.ID,
			Payload: map[string]any{"flow_id": f.ID, "name": f.Name}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, flowWebhookResponse{URL: s.flowWebhookURL(*out.WebhookToken)})
}

// flowHook receives an Incoming Webhook call.
func (s *Server) flowHook(c *gin.Context) {
	ctx := c.Request.Context()
	notFound := chatcenter.Errorf(chatcenter.ENOTFOUND, "webhook not found")
	token := c.Param("token")
	if len(token) != 43 || strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		s.fail(c, notFound)
		return
	}
	f, err := s.DB.FlowByWebhookToken(ctx, token)
	if db.IsNoRows(err) {
		s.fail(c, notFound)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.flowHookAllowed(c, f.ID); err != nil {
		s.fail(c, err)
		return
	}
	if f.Status != "published" {
		s.fail(c, chatcenter.Errorf(chatcenter.ECONFLICT, "the flow is not published (it is %s)", f.Status))
		return
	}
	// The running version decides, not the draft: it must be started by this webhook.
	def, err := s.DB.FlowPublishedDefinition(ctx, dbsqlc.FlowPublishedDefinitionParams{WorkspaceID: f.WorkspaceID, ID: f.ID})
	if err != nil {
		s.fail(c, db.Error(err))
		return
	}
	if pf, err := flows.Parse(def.Definition); err != nil || pf.Trigger.Type != flows.TriggerIncomingWebhook {
		s.fail(c, chatcenter.Errorf(chatcenter.ECONFLICT, "the published version of the flow is not started by an incoming webhook"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxFlowHookBody))
	if err != nil {
		s.fail(c, invalid("the body must be a JSON object of at most %d bytes", maxFlowHookBody))
		return
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil || obj == nil || dec.More() {
		s.fail(c, invalid("the body must be a JSON object"))
		return
	}
	vars, err := flattenHookBody(body)
	if err != nil {
		s.fail(c, err)
		return
	}
	who, err := hookContact(obj)
	if err != nil {
		s.fail(c, err)
		return
	}
	origin, keyed, err := originKey(c, "webhook")
	if err != nil {
		s.fail(c, err)
		return
	}
	contactID, err := s.hookFindOrCreateContact(ctx, f.WorkspaceID, who)
	if err != nil {
		s.fail(c, err)
		return
	}
	run, enrolled, err := s.enroll(ctx, flowrun.Enrollment{
		WorkspaceID: f.WorkspaceID, FlowID: f.ID, ContactID: contactID, OriginKey: origin,
		TriggerType: flows.TriggerIncomingWebhook, Variables: vars,
	}, keyed)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := flowHookResponse{Enrolled: enrolled, ContactID: contactID}
	if run.ID != 0 {
		out.RunID = &run.ID
	}
	c.JSON(http.StatusAccepted, out)
}

// hookWho is whom a webhook call is about.
type hookWho struct {
	Phone, Email        *string
	FirstName, LastName string
}

// hookContact reads the contact from the body: "phone" and "email" (and a name) under "contact"
// or at the top level.
func hookContact(body map[string]any) (hookWho, error) {
	var who hookWho
	nested, _ := body["contact"].(map[string]any)
	get := func(keys ...string) string {
		for _, m := range []map[string]any{nested, body} {
			for _, k := range keys {
				if s, ok := m[k].(string); ok && strings.TrimSpace(s) != "" {
					return strings.TrimSpace(s)
				}
			}
		}
		return ""
	}
	if p := get("phone"); p != "" {
		v, err := fields.Phone(p)
		if err != nil {
			return who, invalid("phone: %s", chatcenter.ErrorMessage(err))
		}
		who.Phone = &v
	}
	if e := get("email"); e != "" {
		v, err := fields.Email(e)
		if err != nil {
			return who, invalid("email: %s", chatcenter.ErrorMessage(err))
		}
		who.Email = &v
	}
	if who.Phone == nil && who.Email == nil {
		return who, invalid(`the body must name the contact by "phone" (E.164) or "email", at the top level or under "contact"`)
	}
	// A name that is not a valid name is not worth refusing the call for: the contact is named
	// after its phone or e-mail instead.
	who.FirstName, _ = fields.PersonName(get("first_name", "name"))
	who.LastName, _ = fields.PersonName(get("last_name"))
	if who.FirstName == "" {
		if who.Phone != nil {
			who.FirstName = *who.Phone
		} else {
			who.FirstName = *who.Email
		}
	}
	return who, nil
}

// hookFindOrCreateContact finds the contact by phone, then by e-mail, or creates it. Two calls
// about a new contact at once both end with the one contact the database let in.
func (s *Server) hookFindOrCreateContact(ctx context.Context, workspaceID int64, who hookWho) (int64, error) {
	for attempt := 0; ; attempt++ {
		if who.Phone != nil {
			ct, err := s.DB.ContactGetByPhone(ctx, dbsqlc.ContactGetByPhoneParams{WorkspaceID: workspaceID, Phone: *who.Phone})
			if err == nil {
				return ct.ID, nil
			}
			if !db.IsNoRows(err) {
				return 0, err
			}
		}
		if who.Email != nil {
			ct, err := s.DB.ContactGetByEmail(ctx, dbsqlc.ContactGetByEmailParams{WorkspaceID: workspaceID, Email: *who.Email})
			if err == nil {
				return ct.ID, nil
			}
			if !db.IsNoRows(err) {
				return 0, err
			}
		}
		var created dbsqlc.Contact
		err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
			var err error
			created, err = q.ContactCreate(ctx, dbsqlc.ContactCreateParams{
				WorkspaceID: workspaceID, FirstName: who.FirstName, LastName: who.LastName, Phone: who.Phone, Email: who.Email,
				CustomFields: []byte("{}"), Tags: []string{},
			})
			if err != nil {
				return err
			}
			return db.InsertEvent(ctx, q, db.Event{WorkspaceID: workspaceID, Type: "contact.created", ContactID: created.ID,
				Payload: map[string]any{"contact": db.ToContact(created), "source": chatcenter.SourceAPI}})
		})
		var pgErr *pgconn.PgError
		if err != nil && errors.As(err, &pgErr) && pgErr.Code == "23505" && attempt == 0 {
			continue // created meanwhile: find it
		}
		if err != nil {
			return 0, db.Error(err)
		}
		return created.ID, nil
	}
}

// flattenHookBody turns a JSON object into flow variables, in the body's order: nested keys
// joined with "_", array items by index ({"order":{"items":[{"sku":"a"}]}} gives
// order_items_0_sku=a); characters other than letters, digits and _ become _. The first 100
// variables are kept, names longer than 100 characters are left out, values are cut at 1000
// characters, and null is empty.
func flattenHookBody(body []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	vars := map[string]string{}
	add := func(name, value string) {
		if name == "" || len(name) > maxVariableName || len(vars) >= maxRunVariables {
			return
		}
		if _, ok := vars[name]; ok {
			return
		}
		if utf8.RuneCountInString(value) > maxVariableValue {
			value = string([]rune(value)[:maxVariableValue])
		}
		vars[name] = value
	}
	var walk func(name string, depth int) error
	walk = func(name string, depth int) error {
		if depth > maxFlowHookDepth {
			return invalid("the body nests deeper than %d levels", maxFlowHookDepth)
		}
		tok, err := dec.Token()
		if err != nil {
			return invalid("the body must be a JSON object")
		}
		switch t := tok.(type) {
		case json.Delim:
			i := 0
			for dec.More() {
				child := strconv.Itoa(i)
				if t == '{' {
					key, err := dec.Token()
					if err != nil {
						return invalid("the body must be a JSON object")
					}
					child = variableName(key.(string))
				}
				if name != "" {
					child = name + "_" + child
				}
				if err := walk(child, depth+1); err != nil {
					return err
				}
				i++
			}
			_, err := dec.Token() // the closing delimiter
			if err != nil {
				return invalid("the body must be a JSON object")
			}
		case string:
			add(name, t)
		case json.Number:
			add(name, t.String())
		case bool:
			add(name, strconv.FormatBool(t))
		case nil:
			add(name, "")
		}
		return nil
	}
	if err := walk("", 0); err != nil {
		return nil, err
	}
	return vars, nil
}

// variableName keeps letters, digits and _ of a JSON key and turns anything else into _.
func variableName(key string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, key)
}
