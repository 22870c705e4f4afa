package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/fields"
	"github.com/chatcenterhq/chatcenter/flowrun"
	"github.com/chatcenterhq/chatcenter/flows"
)

// Shortcuts are published flows with a Shortcut trigger: users run them on a contact from the
// inbox, filling in the flow's form, whose answers become the run's variables. Anyone who may see
// the contact may run one, unless restricted from shortcuts.

func init() {
	const v1 = "/api/v1"
	const tag = "Shortcuts"
	document(http.MethodGet, v1+"/shortcuts", Operation{Summary: "Published shortcut flows and their forms", Tag: tag, Response: shortcutView{}, List: true})
	document(http.MethodPost, v1+"/contacts/:id/shortcuts/:flow_id", Operation{Summary: "Run a shortcut on a contact: the form's answers become the run's variables (Idempotency-Key header honoured)", Tag: tag, Request: shortcutRunRequest{}, Response: flowEnrollResponse{}, Status: http.StatusAccepted})
}

// shortcutView is a shortcut as the inbox offers it.
type shortcutView struct {
	ID     int64             `json:"id"`
	Name   string            `json:"name"`
	Inputs []flows.FormInput `json:"inputs"`
}

type shortcutRunRequest struct {
	// Inputs are the form's answers by input name: text, or a number for number inputs.
	Inputs map[string]json.RawMessage `json:"inputs"`
}

func (s *Server) listShortcuts(c *gin.Context) {
	rows, err := s.DB.FlowsPublishedByTrigger(c.Request.Context(), dbsqlc.FlowsPublishedByTriggerParams{
		WorkspaceID: currentUser(c).WorkspaceID, TriggerType: flows.TriggerShortcut,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[shortcutView]{Items: []shortcutView{}}
	for _, r := range rows {
		f, err := flows.Parse(r.Definition)
		if err != nil {
			s.Log.ErrorContext(c.Request.Context(), "published flow does not parse", "flow", r.ID, "error", err)
			continue
		}
		v := shortcutView{ID: r.ID, Name: r.Name, Inputs: []flows.FormInput{}}
		if f.Trigger.Shortcut != nil && f.Trigger.Shortcut.Inputs != nil {
			v.Inputs = f.Trigger.Shortcut.Inputs
		}
		out.Items = append(out.Items, v)
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) runShortcut(c *gin.Context) {
	ct, err := s.loadContact(c) // 404 for contacts the caller may not see
	if err != nil {
		s.fail(c, err)
		return
	}
	notFound := chatcenter.Errorf(chatcenter.ENOTFOUND, "shortcut not found")
	flowID, err := pathID(c, "flow_id")
	if err != nil {
		s.fail(c, notFound)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	def, err := s.DB.FlowPublishedDefinition(ctx, dbsqlc.FlowPublishedDefinitionParams{WorkspaceID: u.WorkspaceID, ID: flowID})
	if db.IsNoRows(err) {
		s.fail(c, notFound)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := flows.Parse(def.Definition)
	if err != nil {
		s.fail(c, err)
		return
	}
	if f.Trigger.Type != flows.TriggerShortcut {
		s.fail(c, notFound)
		return
	}
	if def.Status != "published" {
		s.fail(c, chatcenter.Errorf(chatcenter.ECONFLICT, "the shortcut %q is stopped", def.Name))
		return
	}
	var req shortcutRunRequest
	if err := bindJSON(c, &req, true); err != nil {
		s.fail(c, err)
		return
	}
	var form []flows.FormInput
	if f.Trigger.Shortcut != nil {
		form = f.Trigger.Shortcut.Inputs
	}
	vars, err := shortcutVariables(form, req.Inputs)
	if err != nil {
		s.fail(c, err)
		return
	}
	origin, keyed, err := originKey(c, "shortcut")
	if err != nil {
		s.fail(c, err)
		return
	}
	run, enrolled, err := s.enroll(ctx, flowrun.Enrollment{
		WorkspaceID: u.WorkspaceID, FlowID: flowID, ContactID: ct.ID, OriginKey: origin,
		TriggerType: flows.TriggerShortcut, Variables: vars, StartedBy: u.ID,
	}, keyed)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, toFlowEnrollResponse(run, enrolled))
}

// shortcutVariables checks the answers against the form: every answer names an input, required
// inputs are answered, and each answer is valid for its input's type (normalised as contact
// fields are: E.164 phones, trimmed e-mails).
func shortcutVariables(form []flows.FormInput, answers map[string]json.RawMessage) (map[string]string, error) {
	byName := map[string]flows.FormInput{}
	for _, in := range form {
		byName[in.Name] = in
	}
	vars := map[string]string{}
	for name, raw := range answers {
		in, ok := byName[name]
		if !ok {
			return nil, invalid("the shortcut has no input %q", truncateForMessage(name))
		}
		v, err := answerText(raw)
		if err != nil {
			return nil, invalid("%s: %s", inputLabel(in), chatcenter.ErrorMessage(err))
		}
		if v == "" {
			continue
		}
		if v, err = formValue(in.Type, v); err != nil {
			return nil, invalid("%s: %s", inputLabel(in), chatcenter.ErrorMessage(err))
		}
		vars[name] = v
	}
	for _, in := range form {
		if in.Required && vars[in.Name] == "" {
			return nil, invalid("%s is required", inputLabel(in))
		}
	}
	return vars, nil
}

// answerText reads an answer: a string, a number (as written) or null (no answer).
func answerText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s), nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	return "", invalid("the answer must be text or a number")
}

// formValue validates an answer for its input type.
func formValue(typ, v string) (string, error) {
	switch typ {
	case "number":
		n, err := fields.Number(v)
		return n.String(), err
	case "date":
		return fields.Date(v)
	case "email":
		return fields.Email(v)
	case "phone":
		return fields.Phone(v)
	case "url":
		return fields.URL(v)
	}
	if !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0 {
		return "", invalid("the answer must be text without control characters")
	}
	if n := utf8.RuneCountInString(v); n > maxVariableValue {
		return "", invalid("the answer is %d characters; the limit is %d", n, maxVariableValue)
	}
	return v, nil
}

func inputLabel(in flows.FormInput) string {
	if in.Label != "" {
		return in.Label + " (" + in.Name + ")"
	}
	return in.Name
}
