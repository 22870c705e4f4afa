package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// contactsErr is the error body every failure answers with.
type contactsErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// contactsUser adds a user to the owner's workspace (restrictions as respond.io's JSON, or "")
// and logs them in.
func contactsUser(b *bundle, email string, role chatcenter.Role, restrictions string) (dbsqlc.User, string) {
	b.t.Helper()
	ctx := context.Background()
	hash, err := hashForTest("contacts password 1")
	require.NoError(b.t, err)
	u, err := b.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: b.owner.WorkspaceID, Email: email, PasswordHash: hash, Name: "User " + email, Role: string(role)})
	require.NoError(b.t, err)
	if restrictions != "" {
		_, err = b.db.Pool.Exec(ctx, "UPDATE users SET restrictions = $1 WHERE id = $2", restrictions, u.ID)
		require.NoError(b.t, err)
	}
	var login struct{ Token string }
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": email, "password": "contacts password 1"}, http.StatusOK, &login)
	return u, login.Token
}

func contactsCreate(b *bundle, body map[string]any) chatcenter.Contact {
	b.t.Helper()
	var ct chatcenter.Contact
	b.do("POST", "/api/v1/contacts", "", body, http.StatusCreated, &ct)
	return ct
}

// contactsFail sends a request that must fail with status and code.
func contactsFail(b *bundle, method, path, token string, body any, status int, code string) string {
	b.t.Helper()
	var e contactsErr
	b.do(method, path, token, body, status, &e)
	require.Equal(b.t, code, e.Error.Code)
	return e.Error.Message
}

func contactsList(b *bundle, token, query string) list[chatcenter.Contact] {
	b.t.Helper()
	var l list[chatcenter.Contact]
	b.do("GET", "/api/v1/contacts"+query, token, nil, http.StatusOK, &l)
	return l
}

func contactsNames(cs []chatcenter.Contact) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.FirstName
	}
	return out
}

// contactsEvent is an outbox row as tests read it.
type contactsEvent struct {
	Type    string
	Actor   *int64
	Payload map[string]any
}

func contactsEvents(b *bundle, contactID int64, types ...string) []contactsEvent {
	b.t.Helper()
	rows, err := b.db.Pool.Query(context.Background(),
		"SELECT type, actor_user_id, payload FROM events WHERE contact_id = $1 AND type = ANY($2) ORDER BY id", contactID, types)
	require.NoError(b.t, err)
	defer rows.Close()
	var out []contactsEvent
	for rows.Next() {
		var e contactsEvent
		var raw []byte
		require.NoError(b.t, rows.Scan(&e.Type, &e.Actor, &raw))
		require.NoError(b.t, json.Unmarshal(raw, &e.Payload))
		out = append(out, e)
	}
	require.NoError(b.t, rows.Err())
	return out
}

func contactsCount(b *bundle) int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM contacts").Scan(&n))
	return n
}

func TestContactsCreateEditSearch(t *testing.T) {
	b := setup(t)
	ana := contactsCreate(b, map[string]any{"first_name": " Ana ", "last_name": "Silva", "phone": "+60 12-345 6789",
		"email": "Ana.Silva@Example.com", "language": "pt-BR", "country_code": "my"})
	require.Equal(t, "Ana", ana.FirstName)
	require.Equal(t, "+60123456789", *ana.Phone, "phone normalised to E.164")
	require.Equal(t, "Ana.Silva@Example.com", *ana.Email)
	require.Equal(t, "pt-br", ana.Language)
	require.Equal(t, "MY", ana.CountryCode)
	require.Equal(t, []string{}, ana.Tags)
	bruno := contactsCreate(b, map[string]any{"first_name": "Bruno", "last_name": "Costa", "email": "bruno@example.org"})
	carla := contactsCreate(b, map[string]any{"first_name": "Carla", "phone": "+34911222333"})
	require.Nil(t, bruno.Phone)

	// Bad input answers 400 and creates nothing.
	n := contactsCount(b)
	for _, body := range []map[string]any{
		{},
		{"first_name": "  "},
		{"last_name": "Only"},
		{"first_name": "X", "phone": "0123"},
		{"first_name": "X", "phone": "+60 12 abc"},
		{"first_name": "X", "email": "not-an-email"},
		{"first_name": "X", "email": "X <x@example.com>"},
		{"first_name": "X", "country_code": "XX"},
		{"first_name": "X", "country_code": "USA"},
		{"first_name": "X", "language": "english"},
		{"first_name": "X", "nickname": "unknown member"},
		{"first_name": strings.Repeat("n", 256)},
		{"first_name": "X", "lifecycle": "Not A Stage"},
		{"first_name": "X", "custom_fields": map[string]any{"nope": "x"}},
		{"first_name": "X", "custom_fields": map[string]any{"bad\u0000slug": "x"}},
		{"first_name": "X", "last_name": "nul\u0000"},
		{"first_name": "X", "tags": []string{"nul\u0000"}},
	} {
		contactsFail(b, "POST", "/api/v1/contacts", "", body, http.StatusBadRequest, "invalid")
	}
	require.Equal(t, n, contactsCount(b))

	// Phone and e-mail are unique per workspace (e-mail case-insensitively).
	msg := contactsFail(b, "POST", "/api/v1/contacts", "", map[string]any{"first_name": "Dup", "phone": "+60123456789"}, http.StatusConflict, "conflict")
	require.Contains(t, msg, "+60123456789")
	contactsFail(b, "POST", "/api/v1/contacts", "", map[string]any{"first_name": "Dup", "phone": "+60 123-456-789"}, http.StatusConflict, "conflict")
	msg = contactsFail(b, "POST", "/api/v1/contacts", "", map[string]any{"first_name": "Dup", "email": "ana.silva@example.COM"}, http.StatusConflict, "conflict")
	require.Contains(t, msg, "e-mail")
	require.Equal(t, n, contactsCount(b))

	// Newest first, paginated.
	l := contactsList(b, "", "?limit=2")
	require.Equal(t, []string{"Carla", "Bruno"}, contactsNames(l.Items))
	require.NotNil(t, l.NextCursor)
	l = contactsList(b, "", "?limit=2&cursor="+*l.NextCursor)
	require.Equal(t, []string{"Ana"}, contactsNames(l.Items))
	require.Nil(t, l.NextCursor)

	for query, want := range map[string][]string{
		"ana":           {"Ana"},
		"SILVA":         {"Ana"},
		"ana silva":     {"Ana"},
		"silva ana":     {"Ana"},
		"example":       {"Bruno", "Ana"},
		"bruno@":        {"Bruno"},
		"+60123":        {"Ana"},
		"12-345":        {"Ana"},
		"(91) 122":      {"Carla"},
		"zzz":           {},
		"100%":          {},
		"a":             {"Carla", "Bruno", "Ana"},
		"Costa":         {"Bruno"},
		"example.org  ": {"Bruno"},
	} {
		got := contactsList(b, "", "?search="+url.QueryEscape(query))
		require.Equal(t, want, contactsNames(got.Items), "search %q", query)
	}
	contactsFail(b, "GET", "/api/v1/contacts?search="+strings.Repeat("x", 256), "", nil, http.StatusBadRequest, "invalid")
	contactsFail(b, "GET", "/api/v1/contacts?limit=0", "", nil, http.StatusBadRequest, "invalid")
	contactsFail(b, "GET", "/api/v1/contacts?search=a%00b", "", nil, http.StatusBadRequest, "invalid")
	contactsFail(b, "GET", "/api/v1/contacts?tag=%00", "", nil, http.StatusBadRequest, "invalid")

	// PATCH changes only what is sent; null clears optional fields.
	path := fmt.Sprintf("/api/v1/contacts/%d", ana.ID)
	var got chatcenter.Contact
	b.do("PATCH", path, "", map[string]any{"last_name": "Souza", "email": nil, "language": nil}, http.StatusOK, &got)
	require.Equal(t, "Ana", got.FirstName)
	require.Equal(t, "Souza", got.LastName)
	require.Nil(t, got.Email)
	require.Equal(t, "", got.Language)
	require.Equal(t, "+60123456789", *got.Phone)
	require.Equal(t, "MY", got.CountryCode)

	// Bad or conflicting edits change nothing.
	contactsFail(b, "PATCH", path, "", map[string]any{"first_name": nil}, http.StatusBadRequest, "invalid")
	contactsFail(b, "PATCH", path, "", map[string]any{"last_name": "Kept?", "email": "broken@"}, http.StatusBadRequest, "invalid")
	contactsFail(b, "PATCH", path, "", map[string]any{"last_name": "Kept?", "phone": "+34911222333"}, http.StatusConflict, "conflict")
	contactsFail(b, "PATCH", path, "", map[string]any{"email": "BRUNO@example.org"}, http.StatusConflict, "conflict")
	contactsFail(b, "PATCH", "/api/v1/contacts/987654", "", map[string]any{"last_name": "x"}, http.StatusNotFound, "not_found")
	b.do("GET", path, "", nil, http.StatusOK, &got)
	require.Equal(t, "Souza", got.LastName)

	// An edit that changes nothing writes no event.
	b.do("PATCH", path, "", map[string]any{"last_name": "Souza"}, http.StatusOK, &got)

	events := contactsEvents(b, ana.ID, "contact.created", "contact.updated", "contact.field_changed")
	require.Len(t, events, 5, "created, three field changes, one update")
	require.Equal(t, "contact.created", events[0].Type)
	require.Equal(t, b.owner.ID, *events[0].Actor)
	changes := map[string][2]any{}
	for _, e := range events[1:4] {
		require.Equal(t, "contact.field_changed", e.Type)
		changes[e.Payload["field"].(string)] = [2]any{e.Payload["old"], e.Payload["new"]}
	}
	require.Equal(t, map[string][2]any{
		"last_name": {"Silva", "Souza"},
		"email":     {"Ana.Silva@Example.com", nil},
		"language":  {"pt-br", nil},
	}, changes)
	require.Equal(t, "contact.updated", events[4].Type)
	require.ElementsMatch(t, []any{"last_name", "email", "language"}, events[4].Payload["changed"])
	_ = carla
}

func TestContactsTags(t *testing.T) {
	b := setup(t)
	ct := contactsCreate(b, map[string]any{"first_name": "Ana", "tags": []string{"lead", " lead "}})
	require.Equal(t, []string{"lead"}, ct.Tags)
	other := contactsCreate(b, map[string]any{"first_name": "Bruno"})
	path := fmt.Sprintf("/api/v1/contacts/%d/tags", ct.ID)

	var got chatcenter.Contact
	b.do("POST", path, "", []string{"vip", " Premium ", "vip", "lead"}, http.StatusOK, &got)
	require.Equal(t, []string{"lead", "vip", "Premium"}, got.Tags)

	// Limits: 1–10 names of 1–255 characters; a refused call changes nothing.
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = fmt.Sprintf("tag-%d", i)
	}
	msg := contactsFail(b, "POST", path, "", eleven, http.StatusBadRequest, "invalid")
	require.Contains(t, msg, "10")
	contactsFail(b, "POST", path, "", []string{"ok", strings.Repeat("x", 256)}, http.StatusBadRequest, "invalid")
	contactsFail(b, "POST", path, "", []string{}, http.StatusBadRequest, "invalid")
	contactsFail(b, "POST", path, "", []string{"  "}, http.StatusBadRequest, "invalid")
	contactsFail(b, "POST", path, "", map[string]any{"tags": []string{"x"}}, http.StatusBadRequest, "invalid")
	contactsFail(b, "DELETE", path, "", eleven, http.StatusBadRequest, "invalid")
	b.do("POST", path, "", []string{strings.Repeat("é", 255)}, http.StatusOK, &got)
	require.Len(t, got.Tags, 4)

	b.do("DELETE", path, "", []string{"vip", "absent", strings.Repeat("é", 255)}, http.StatusOK, &got)
	require.Equal(t, []string{"lead", "Premium"}, got.Tags)

	// Tag filter on the list.
	require.Equal(t, []string{"Ana"}, contactsNames(contactsList(b, "", "?tag=Premium").Items))
	require.Empty(t, contactsList(b, "", "?tag=vip").Items)
	require.Empty(t, contactsList(b, "", "?tag=premium").Items, "tags match exactly")
	_ = other

	// One event per tag actually added or removed.
	var log []string
	for _, e := range contactsEvents(b, ct.ID, "contact.tag_added", "contact.tag_removed") {
		log = append(log, strings.TrimPrefix(e.Type, "contact.")+" "+e.Payload["tag"].(string))
	}
	long := strings.Repeat("é", 255)
	require.Equal(t, []string{"tag_added lead", "tag_added vip", "tag_added Premium", "tag_added " + long, "tag_removed vip", "tag_removed " + long}, log)
}

func TestContactsCustomFields(t *testing.T) {
	b := setup(t)
	agent, agentToken := contactsUser(b, "agent@example.com", chatcenter.RoleAgent, "")
	_ = agent
	type field struct {
		ID       *int64   `json:"id"`
		Slug     string   `json:"slug"`
		Name     string   `json:"name"`
		Type     string   `json:"type"`
		Options  []string `json:"options"`
		Standard bool     `json:"standard"`
	}
	define := func(body map[string]any) field {
		var f field
		b.do("POST", "/api/v1/settings/contact-fields", "", body, http.StatusCreated, &f)
		return f
	}
	company := define(map[string]any{"name": "Company Name", "type": "text", "description": "Where they work"})
	require.Equal(t, "company_name", company.Slug)
	plan := define(map[string]any{"name": "Plan", "type": "list", "options": []string{"Gold", "Silver", "Bronze"}})
	define(map[string]any{"name": "VAT registered", "slug": "vat", "type": "checkbox"})
	define(map[string]any{"name": "Billing e-mail", "slug": "billing_email", "type": "email"})
	define(map[string]any{"name": "Score", "type": "number"})
	define(map[string]any{"name": "Website", "type": "url"})
	define(map[string]any{"name": "Birthday", "type": "date"})
	define(map[string]any{"name": "Call after", "slug": "call_after", "type": "time"})

	// Definitions are validated; slugs and names are unique; agents may read but not define.
	for _, body := range []map[string]any{
		{"name": "Bad", "type": "phone"},
		{"name": "Bad", "type": "list"},
		{"name": "Bad", "type": "text", "options": []string{"a"}},
		{"name": "Bad", "slug": "Bad-Slug", "type": "text"},
		{"name": "Email", "type": "email"},
		{"name": "", "type": "text"},
		{"name": strings.Repeat("n", 51), "type": "text"},
	} {
		contactsFail(b, "POST", "/api/v1/settings/contact-fields", "", body, http.StatusBadRequest, "invalid")
	}
	contactsFail(b, "POST", "/api/v1/settings/contact-fields", "", map[string]any{"name": "Other", "slug": "company_name", "type": "text"}, http.StatusConflict, "conflict")
	contactsFail(b, "POST", "/api/v1/settings/contact-fields", "", map[string]any{"name": "company name", "slug": "company2", "type": "text"}, http.StatusConflict, "conflict")
	contactsFail(b, "POST", "/api/v1/settings/contact-fields", agentToken, map[string]any{"name": "Agent field", "type": "text"}, http.StatusForbidden, "forbidden")
	var defs list[field]
	b.do("GET", "/api/v1/settings/contact-fields", agentToken, nil, http.StatusOK, &defs)
	require.Len(t, defs.Items, 6+8)
	require.True(t, defs.Items[0].Standard)
	require.Equal(t, "first_name", defs.Items[0].Slug)
	require.Nil(t, defs.Items[0].ID)
	require.Equal(t, "company_name", defs.Items[6].Slug)
	require.False(t, defs.Items[6].Standard)

	good := map[string]any{
		"company_name": "Acme", "plan": "gold", "vat": true, "billing_email": "billing@acme.example",
		"score": 12345678901234567, "website": "https://acme.example/about", "birthday": "1990-02-28", "call_after": "18:30",
	}
	ct := contactsCreate(b, map[string]any{"first_name": "Ana", "custom_fields": good})
	require.Equal(t, "Gold", ct.CustomFields["plan"], "list values take the option's spelling")
	require.Equal(t, true, ct.CustomFields["vat"])
	// Postgres holds no NUL character: refused as bad input, never a 500.
	contactsFail(b, "PATCH", fmt.Sprintf("/api/v1/contacts/%d", ct.ID), "", map[string]any{"custom_fields": map[string]any{"company_name": "a\u0000b"}}, http.StatusBadRequest, "invalid")
	var stored string
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), "SELECT custom_fields->>'score' FROM contacts WHERE id = $1", ct.ID).Scan(&stored))
	require.Equal(t, "12345678901234567", stored, "numbers are stored exactly")

	// Every type refuses what it cannot hold, through the API; nothing changes.
	path := fmt.Sprintf("/api/v1/contacts/%d", ct.ID)
	for slug, bad := range map[string]any{
		"company_name":  strings.Repeat("x", 2001),
		"plan":          "Platinum",
		"vat":           "maybe",
		"billing_email": "billing@",
		"score":         "twelve",
		"website":       "ftp://acme.example",
		"birthday":      "1990-02-30",
		"call_after":    "25:00",
		"unknown_field": "x",
	} {
		msg := contactsFail(b, "PATCH", path, agentToken, map[string]any{"last_name": "Changed", "custom_fields": map[string]any{slug: bad}}, http.StatusBadRequest, "invalid")
		require.Contains(t, msg, slug)
	}
	// Decode every answer into a fresh contact: json.Unmarshal merges into a non-nil map.
	var got chatcenter.Contact
	fresh := func() *chatcenter.Contact { got = chatcenter.Contact{}; return &got }
	b.do("GET", path, "", nil, http.StatusOK, fresh())
	require.Equal(t, "", got.LastName)
	require.Equal(t, "Acme", got.CustomFields["company_name"])

	// custom_fields merge: only the given slugs change; null removes a value.
	b.do("PATCH", path, agentToken, map[string]any{"custom_fields": map[string]any{"company_name": "Acme Ltd", "vat": nil, "score": "7.5"}}, http.StatusOK, fresh())
	require.Equal(t, "Acme Ltd", got.CustomFields["company_name"])
	require.NotContains(t, got.CustomFields, "vat")
	require.Equal(t, 7.5, got.CustomFields["score"])
	require.Equal(t, "Gold", got.CustomFields["plan"])
	changes := contactsEvents(b, ct.ID, "contact.field_changed")
	require.Len(t, changes, 3)
	require.Equal(t, map[string]any{"field": "company_name", "old": "Acme", "new": "Acme Ltd", "custom": true}, changes[0].Payload)
	require.Equal(t, agent.ID, *changes[0].Actor)

	// Slug and type never change; list options can, and values of removed options are cleared.
	planPath := fmt.Sprintf("/api/v1/settings/contact-fields/%d", *plan.ID)
	contactsFail(b, "PATCH", planPath, "", map[string]any{"slug": "tier"}, http.StatusBadRequest, "invalid")
	contactsFail(b, "PATCH", planPath, "", map[string]any{"type": "text"}, http.StatusBadRequest, "invalid")
	contactsFail(b, "PATCH", planPath, "", map[string]any{"options": []string{}}, http.StatusBadRequest, "invalid")
	var updated field
	b.do("PATCH", planPath, "", map[string]any{"name": "Tier", "options": []string{"Silver", "Platinum"}}, http.StatusOK, &updated)
	require.Equal(t, "Tier", updated.Name)
	require.Equal(t, "plan", updated.Slug)
	b.do("GET", path, "", nil, http.StatusOK, fresh())
	require.NotContains(t, got.CustomFields, "plan")
	b.do("PATCH", path, "", map[string]any{"custom_fields": map[string]any{"plan": "Platinum"}}, http.StatusOK, fresh())
	require.Equal(t, "Platinum", got.CustomFields["plan"])

	// Deleting a definition removes its values; the slug is then unknown.
	b.do("DELETE", fmt.Sprintf("/api/v1/settings/contact-fields/%d", *company.ID), "", nil, http.StatusNoContent, nil)
	b.do("GET", path, "", nil, http.StatusOK, fresh())
	require.NotContains(t, got.CustomFields, "company_name")
	contactsFail(b, "PATCH", path, "", map[string]any{"custom_fields": map[string]any{"company_name": "x"}}, http.StatusBadRequest, "invalid")
	contactsFail(b, "DELETE", fmt.Sprintf("/api/v1/settings/contact-fields/%d", *company.ID), "", nil, http.StatusNotFound, "not_found")

	// custom_fields: null clears them all.
	b.do("PATCH", path, "", map[string]any{"custom_fields": nil}, http.StatusOK, fresh())
	require.Empty(t, got.CustomFields)
}

func TestContactsLifecycle(t *testing.T) {
	b := setup(t)
	ct := contactsCreate(b, map[string]any{"first_name": "Ana", "lifecycle": "new lead"})
	require.Equal(t, "New Lead", ct.Lifecycle)
	contactsCreate(b, map[string]any{"first_name": "Bruno"})
	path := fmt.Sprintf("/api/v1/contacts/%d/lifecycle", ct.ID)

	var got chatcenter.Contact
	b.do("PUT", path, "", map[string]any{"name": "Hot Lead"}, http.StatusOK, &got)
	require.Equal(t, "Hot Lead", got.Lifecycle)
	contactsFail(b, "PUT", path, "", map[string]any{"name": "Unicorn"}, http.StatusBadRequest, "invalid")
	contactsFail(b, "PUT", path, "", map[string]any{}, http.StatusBadRequest, "invalid")
	contactsFail(b, "PUT", path, "", map[string]any{"stage": "Hot Lead"}, http.StatusBadRequest, "invalid")
	require.Equal(t, []string{"Ana"}, contactsNames(contactsList(b, "", "?lifecycle="+url.QueryEscape("Hot Lead")).Items))
	require.Empty(t, contactsList(b, "", "?lifecycle=Customer").Items)

	b.do("PUT", path, "", map[string]any{"name": nil}, http.StatusOK, &got)
	require.Equal(t, "", got.Lifecycle)
	b.do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", ct.ID), "", map[string]any{"lifecycle": "customer"}, http.StatusOK, &got)
	require.Equal(t, "Customer", got.Lifecycle)

	var log [][2]any
	for _, e := range contactsEvents(b, ct.ID, "contact.field_changed") {
		require.Equal(t, "lifecycle", e.Payload["field"])
		log = append(log, [2]any{e.Payload["old"], e.Payload["new"]})
	}
	require.Equal(t, [][2]any{{"New Lead", "Hot Lead"}, {"Hot Lead", nil}, {nil, "Customer"}}, log)
}

func TestContactsDeleteRespectsRestrictionAndEndsWorkflow(t *testing.T) {
	b := setup(t)
	_, restricted := contactsUser(b, "restricted@example.com", chatcenter.RoleAgent, `{"restrict_contact_deletion":true}`)
	_, agent := contactsUser(b, "agent@example.com", chatcenter.RoleAgent, "")

	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "hello"), http.StatusOK)
	conv := b.waitOpenConversation()
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, b.workflowStatus(conv.ContactID))
	path := fmt.Sprintf("/api/v1/contacts/%d", conv.ContactID)

	contactsFail(b, "DELETE", path, restricted, nil, http.StatusForbidden, "forbidden")
	b.do("GET", path, "", nil, http.StatusOK, nil)

	b.do("DELETE", path, agent, nil, http.StatusNoContent, nil)
	contactsFail(b, "GET", path, "", nil, http.StatusNotFound, "not_found")
	contactsFail(b, "DELETE", path, agent, nil, http.StatusNotFound, "not_found")
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, b.workflowStatus(conv.ContactID))
	var convs int
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM conversations WHERE contact_id = $1", conv.ContactID).Scan(&convs))
	require.Zero(t, convs)
	deleted := contactsEvents(b, conv.ContactID, "contact.deleted")
	require.Len(t, deleted, 1)

	// A contact without a workflow is deleted too; the same customer writing again is a new contact.
	plain := contactsCreate(b, map[string]any{"first_name": "No workflow"})
	b.do("DELETE", fmt.Sprintf("/api/v1/contacts/%d", plain.ID), "", nil, http.StatusNoContent, nil)
	b.postUpdate(chID, textUpdate(2, 2, "me again"), http.StatusOK)
	again := b.waitOpenConversation()
	require.NotEqual(t, conv.ContactID, again.ContactID)
}

func TestContactsHistoryAndActivity(t *testing.T) {
	b := setup(t)
	agent, agentToken := contactsUser(b, "agent@example.com", chatcenter.RoleAgent, "")
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "hello"), http.StatusOK)
	first := b.waitOpenConversation()
	contactPath := fmt.Sprintf("/api/v1/contacts/%d", first.ContactID)

	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/assign", first.ID), "", map[string]any{"user_id": agent.ID}, http.StatusOK, nil)
	b.do("POST", contactPath+"/tags", agentToken, []string{"vip"}, http.StatusOK, nil)
	b.do("POST", contactPath+"/comments", agentToken, map[string]any{"text": "Called back, all good"}, http.StatusCreated, nil)
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", first.ID), agentToken, map[string]any{"category": "Resolved"}, http.StatusOK, nil)
	var second chatcenter.Conversation
	b.do("POST", contactPath+"/conversation/open", "", nil, http.StatusOK, &second)
	require.NotEqual(t, first.ID, second.ID)

	// History: newest first, paginated.
	var convs list[chatcenter.Conversation]
	b.do("GET", contactPath+"/conversations?limit=1", agentToken, nil, http.StatusOK, &convs)
	require.Len(t, convs.Items, 1)
	require.Equal(t, second.ID, convs.Items[0].ID)
	require.NotNil(t, convs.NextCursor)
	b.do("GET", contactPath+"/conversations?limit=1&cursor="+*convs.NextCursor, agentToken, nil, http.StatusOK, &convs)
	require.Equal(t, first.ID, convs.Items[0].ID)
	require.Equal(t, chatcenter.ConversationClosed, convs.Items[0].Status)
	require.Nil(t, convs.NextCursor)

	type activity struct {
		ID             int64          `json:"id"`
		Type           string         `json:"type"`
		ConversationID *int64         `json:"conversation_id"`
		ActorUserID    *int64         `json:"actor_user_id"`
		ActorName      string         `json:"actor_name"`
		Details        map[string]any `json:"details"`
	}
	var acts list[activity]
	b.do("GET", contactPath+"/activity", agentToken, nil, http.StatusOK, &acts)
	var types []string
	for _, a := range acts.Items {
		types = append(types, a.Type)
	}
	require.Equal(t, []string{"conversation.opened", "conversation.closed", "comment.created", "contact.tag_added",
		"conversation.assigned", "conversation.opened"}, types, "newest first; messages are not activity")
	byType := map[string]activity{}
	for _, a := range acts.Items {
		byType[a.Type] = a
	}
	assigned := byType["conversation.assigned"]
	require.Equal(t, b.owner.ID, *assigned.ActorUserID)
	require.Equal(t, "Owner", assigned.ActorName)
	require.EqualValues(t, agent.ID, assigned.Details["assignee_id"])
	require.Equal(t, "User agent@example.com", assigned.Details["assignee_name"])
	require.Equal(t, first.ID, *assigned.ConversationID)
	tag := byType["contact.tag_added"]
	require.Equal(t, agent.ID, *tag.ActorUserID)
	require.Equal(t, "User agent@example.com", tag.ActorName)
	require.Equal(t, map[string]any{"tag": "vip"}, tag.Details)
	require.Equal(t, "Resolved", acts.Items[1].Details["category"])
	require.Nil(t, acts.Items[len(acts.Items)-1].ActorUserID, "the contact opened the first conversation")
	require.Equal(t, "contact", acts.Items[len(acts.Items)-1].Details["source"])

	// Paginated like every list.
	var page1, page2 list[activity]
	b.do("GET", contactPath+"/activity?limit=4", "", nil, http.StatusOK, &page1)
	require.Len(t, page1.Items, 4)
	b.do("GET", contactPath+"/activity?limit=4&cursor="+*page1.NextCursor, "", nil, http.StatusOK, &page2)
	require.Len(t, page2.Items, 2)
	require.Nil(t, page2.NextCursor)
	require.Equal(t, acts.Items[4].ID, page2.Items[0].ID)
}

func TestContactsIsolationAndVisibility(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	mine := contactsCreate(b, map[string]any{"first_name": "Ana", "phone": "+60123456789", "email": "ana@example.com"})

	// A second workspace with its own owner.
	ws, err := b.db.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "Other", Timezone: "UTC", Language: "en"})
	require.NoError(t, err)
	hash, err := hashForTest("other password 1")
	require.NoError(t, err)
	_, err = b.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: ws.ID, Email: "other@example.com", PasswordHash: hash, Name: "Other", Role: "owner"})
	require.NoError(t, err)
	var login struct{ Token string }
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": "other@example.com", "password": "other password 1"}, http.StatusOK, &login)
	other := login.Token

	path := fmt.Sprintf("/api/v1/contacts/%d", mine.ID)
	contactsFail(b, "PATCH", path, other, map[string]any{"last_name": "x"}, http.StatusNotFound, "not_found")
	contactsFail(b, "DELETE", path, other, nil, http.StatusNotFound, "not_found")
	contactsFail(b, "POST", path+"/tags", other, []string{"x"}, http.StatusNotFound, "not_found")
	contactsFail(b, "DELETE", path+"/tags", other, []string{"x"}, http.StatusNotFound, "not_found")
	contactsFail(b, "PUT", path+"/lifecycle", other, map[string]any{"name": "Customer"}, http.StatusNotFound, "not_found")
	contactsFail(b, "GET", path+"/conversations", other, nil, http.StatusNotFound, "not_found")
	contactsFail(b, "GET", path+"/activity", other, nil, http.StatusNotFound, "not_found")
	require.Empty(t, contactsList(b, other, "").Items)
	require.Empty(t, contactsList(b, other, "?search=ana").Items)

	// Phone and e-mail are unique per workspace only; custom fields are per workspace.
	var theirs chatcenter.Contact
	b.do("POST", "/api/v1/contacts", other, map[string]any{"first_name": "Ana too", "phone": "+60123456789", "email": "ANA@example.com"}, http.StatusCreated, &theirs)
	b.do("POST", "/api/v1/settings/contact-fields", other, map[string]any{"name": "Plan", "type": "text"}, http.StatusCreated, nil)
	contactsFail(b, "PATCH", path, "", map[string]any{"custom_fields": map[string]any{"plan": "x"}}, http.StatusBadRequest, "invalid")
	require.Equal(t, []string{"Ana"}, contactsNames(contactsList(b, "", "").Items))

	var got chatcenter.Contact
	b.do("GET", path, "", nil, http.StatusOK, &got)
	require.Equal(t, "", got.LastName)
	require.Empty(t, got.Tags)

	// An agent restricted to their own contacts lists only those assigned to them.
	agent, agentToken := contactsUser(b, "mine-only@example.com", chatcenter.RoleAgent, `{"show_only_mine":true}`)
	require.Empty(t, contactsList(b, agentToken, "").Items)
	contactsFail(b, "PATCH", path, agentToken, map[string]any{"last_name": "x"}, http.StatusNotFound, "not_found")
	_, err = b.db.Pool.Exec(ctx, "UPDATE contacts SET assignee_id = $1 WHERE id = $2", agent.ID, mine.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"Ana"}, contactsNames(contactsList(b, agentToken, "").Items))
	b.do("PATCH", path, agentToken, map[string]any{"last_name": "Silva"}, http.StatusOK, &got)
	require.Equal(t, "Silva", got.LastName)
}
