package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

type settingsGeneral struct {
	Name     string `json:"name"`
	Timezone string `json:"timezone"`
	Language string `json:"language"`
}

type settingsCategory struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

type settingsRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type settingsHoliday struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

type settingsHours struct {
	Timezone  string                     `json:"timezone"`
	Days      map[string][]settingsRange `json:"days"`
	Holidays  []settingsHoliday          `json:"holidays"`
	UpdatedAt *time.Time                 `json:"updated_at"`
}

type settingsStage struct {
	Name  string `json:"name"`
	Emoji string `json:"emoji"`
	Lost  bool   `json:"lost"`
}

type settingsStages struct {
	Stages []settingsStage `json:"stages"`
}

func settingsEventCount(b *bundle, typ string) int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE type = $1", typ).Scan(&n))
	return n
}

// TestSettingsPermissions: everyone reads settings; only owners and managers without the
// workspace-settings restriction change them.
func TestSettingsPermissions(t *testing.T) {
	b := setup(t)
	_, agent := contactsUser(b, "agent@example.com", chatcenter.RoleAgent, "")
	_, manager := contactsUser(b, "manager@example.com", chatcenter.RoleManager, "")
	_, restricted := contactsUser(b, "restricted@example.com", chatcenter.RoleManager, `{"restrict_space_setting":true}`)

	reads := []string{"/settings/general", "/settings/closing-notes", "/settings/closing-notes/categories",
		"/settings/lifecycle-stages", "/settings/business-hours", "/settings/contact-fields"}
	for _, p := range reads {
		for _, token := range []string{agent, restricted, manager} {
			b.do("GET", "/api/v1"+p, token, nil, http.StatusOK, nil)
		}
	}
	writes := []struct {
		method, path string
		body         any
	}{
		{"PATCH", "/settings/general", map[string]any{"name": "Agents rule"}},
		{"PUT", "/settings/closing-notes", map[string]any{"mode": "disabled"}},
		{"POST", "/settings/closing-notes/categories", map[string]any{"name": "Spam"}},
		{"PATCH", "/settings/closing-notes/categories/1", map[string]any{"name": "Spam"}},
		{"DELETE", "/settings/closing-notes/categories/1", nil},
		{"PUT", "/settings/lifecycle-stages", map[string]any{"stages": []any{}}},
		{"PUT", "/settings/business-hours", map[string]any{"timezone": "UTC"}},
		{"POST", "/settings/contact-fields", map[string]any{"name": "Plan", "type": "text"}},
		{"PATCH", "/settings/contact-fields/1", map[string]any{"name": "Tier"}},
		{"DELETE", "/settings/contact-fields/1", nil},
	}
	for _, w := range writes {
		for _, token := range []string{agent, restricted} {
			contactsFail(b, w.method, "/api/v1"+w.path, token, w.body, http.StatusForbidden, "forbidden")
		}
	}
	var g settingsGeneral
	b.do("GET", "/api/v1/settings/general", "", nil, http.StatusOK, &g)
	require.Equal(t, "My workspace", g.Name, "refused writes changed nothing")
	var st settingsStages
	b.do("GET", "/api/v1/settings/lifecycle-stages", agent, nil, http.StatusOK, &st)
	require.Len(t, st.Stages, 5)

	b.do("PATCH", "/api/v1/settings/general", manager, map[string]any{"name": "Managed"}, http.StatusOK, &g)
	require.Equal(t, "Managed", g.Name)
	b.do("POST", "/api/v1/settings/closing-notes/categories", manager, map[string]any{"name": "Spam"}, http.StatusCreated, nil)
}

func TestSettingsGeneral(t *testing.T) {
	b := setup(t)
	var g settingsGeneral
	b.do("GET", "/api/v1/settings/general", "", nil, http.StatusOK, &g)
	require.Equal(t, settingsGeneral{Name: "My workspace", Timezone: "UTC", Language: "en"}, g)

	b.do("PATCH", "/api/v1/settings/general", "", map[string]any{"timezone": "Asia/Kuala_Lumpur", "language": "ES"}, http.StatusOK, &g)
	require.Equal(t, settingsGeneral{Name: "My workspace", Timezone: "Asia/Kuala_Lumpur", Language: "es"}, g)
	for _, body := range []map[string]any{
		{"name": " ", "timezone": "UTC"},
		{"name": nil},
		{"name": strings.Repeat("n", 129)},
		{"timezone": "Mars/Olympus"},
		{"timezone": "Local"},
		{"language": "spanish"},
		{"currency": "EUR"},
	} {
		contactsFail(b, "PATCH", "/api/v1/settings/general", "", body, http.StatusBadRequest, "invalid")
	}
	b.do("GET", "/api/v1/settings/general", "", nil, http.StatusOK, &g)
	require.Equal(t, settingsGeneral{Name: "My workspace", Timezone: "Asia/Kuala_Lumpur", Language: "es"}, g)
	require.Equal(t, 1, settingsEventCount(b, "settings.updated"))

	// The time zone is the default of business hours until they are set.
	var h settingsHours
	b.do("GET", "/api/v1/settings/business-hours", "", nil, http.StatusOK, &h)
	require.Equal(t, "Asia/Kuala_Lumpur", h.Timezone)
}

func TestSettingsClosingNotes(t *testing.T) {
	b := setup(t)
	var mode struct {
		Mode string `json:"mode"`
	}
	b.do("GET", "/api/v1/settings/closing-notes", "", nil, http.StatusOK, &mode)
	require.Equal(t, "optional", mode.Mode)
	contactsFail(b, "PUT", "/api/v1/settings/closing-notes", "", map[string]any{"mode": "sometimes"}, http.StatusBadRequest, "invalid")
	contactsFail(b, "PUT", "/api/v1/settings/closing-notes", "", map[string]any{}, http.StatusBadRequest, "invalid")

	var resolved, spam settingsCategory
	b.do("POST", "/api/v1/settings/closing-notes/categories", "", map[string]any{"name": " Resolved ", "description": "Customer is happy"}, http.StatusCreated, &resolved)
	require.Equal(t, "Resolved", resolved.Name)
	b.do("POST", "/api/v1/settings/closing-notes/categories", "", map[string]any{"name": "Spam"}, http.StatusCreated, &spam)
	contactsFail(b, "POST", "/api/v1/settings/closing-notes/categories", "", map[string]any{"name": "Resolved"}, http.StatusConflict, "conflict")
	contactsFail(b, "POST", "/api/v1/settings/closing-notes/categories", "", map[string]any{"name": strings.Repeat("c", 129)}, http.StatusBadRequest, "invalid")
	contactsFail(b, "POST", "/api/v1/settings/closing-notes/categories", "", map[string]any{"description": "no name"}, http.StatusBadRequest, "invalid")
	var cats list[settingsCategory]
	b.do("GET", "/api/v1/settings/closing-notes/categories", "", nil, http.StatusOK, &cats)
	require.Equal(t, []settingsCategory{resolved, spam}, cats.Items)

	var renamed settingsCategory
	b.do("PATCH", fmt.Sprintf("/api/v1/settings/closing-notes/categories/%d", spam.ID), "", map[string]any{"name": "Junk"}, http.StatusOK, &renamed)
	require.Equal(t, "Junk", renamed.Name)
	contactsFail(b, "PATCH", fmt.Sprintf("/api/v1/settings/closing-notes/categories/%d", spam.ID), "", map[string]any{"name": "Resolved"}, http.StatusConflict, "conflict")
	contactsFail(b, "PATCH", "/api/v1/settings/closing-notes/categories/987654", "", map[string]any{"name": "X"}, http.StatusNotFound, "not_found")
	b.do("DELETE", fmt.Sprintf("/api/v1/settings/closing-notes/categories/%d", spam.ID), "", nil, http.StatusNoContent, nil)
	contactsFail(b, "DELETE", fmt.Sprintf("/api/v1/settings/closing-notes/categories/%d", spam.ID), "", nil, http.StatusNotFound, "not_found")

	// The mode and the categories govern closing a conversation.
	b.do("PUT", "/api/v1/settings/closing-notes", "", map[string]any{"mode": "category_required"}, http.StatusOK, &mode)
	require.Equal(t, "category_required", mode.Mode)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "hello"), http.StatusOK)
	conv := b.waitOpenConversation()
	closePath := fmt.Sprintf("/api/v1/conversations/%d/close", conv.ID)
	contactsFail(b, "POST", closePath, "", map[string]any{}, http.StatusBadRequest, "invalid")
	contactsFail(b, "POST", closePath, "", map[string]any{"category": "Junk"}, http.StatusBadRequest, "invalid")
	var closed chatcenter.Conversation
	b.do("POST", closePath, "", map[string]any{"category": "Resolved"}, http.StatusOK, &closed)
	require.Equal(t, "Resolved", *closed.Category)
	require.Equal(t, 1, settingsEventCount(b, "closing_note_category.deleted"))
}

func TestSettingsBusinessHours(t *testing.T) {
	b := setup(t)
	var h settingsHours
	b.do("GET", "/api/v1/settings/business-hours", "", nil, http.StatusOK, &h)
	require.Equal(t, "UTC", h.Timezone)
	require.Nil(t, h.UpdatedAt, "never set")
	require.Len(t, h.Days, 7)
	require.Empty(t, h.Days["monday"])

	week := map[string]any{
		"monday":   []map[string]string{{"from": "13:00", "to": "18:00"}, {"from": "09:00", "to": "12:00"}},
		"tuesday":  []map[string]string{{"from": "09:00", "to": "18:00"}},
		"saturday": []map[string]string{{"from": "10:00", "to": "24:00"}},
	}
	b.do("PUT", "/api/v1/settings/business-hours", "", map[string]any{"timezone": "Europe/Madrid", "days": week,
		"holidays": []map[string]string{{"date": "2026-12-25", "name": "Christmas"}, {"date": "2026-01-06", "name": "Reyes"}}}, http.StatusOK, &h)
	require.Equal(t, "Europe/Madrid", h.Timezone)
	require.Equal(t, []settingsRange{{"09:00", "12:00"}, {"13:00", "18:00"}}, h.Days["monday"])
	require.Empty(t, h.Days["sunday"])
	require.Equal(t, []settingsHoliday{{"2026-01-06", "Reyes"}, {"2026-12-25", "Christmas"}}, h.Holidays)
	require.NotNil(t, h.UpdatedAt)
	saved := h

	for name, body := range map[string]map[string]any{
		"overlap":       {"timezone": "UTC", "days": map[string]any{"monday": []map[string]string{{"from": "09:00", "to": "12:00"}, {"from": "11:30", "to": "14:00"}}}},
		"from after to": {"timezone": "UTC", "days": map[string]any{"monday": []map[string]string{{"from": "18:00", "to": "09:00"}}}},
		"bad time":      {"timezone": "UTC", "days": map[string]any{"monday": []map[string]string{{"from": "9am", "to": "12:00"}}}},
		"unknown day":   {"timezone": "UTC", "days": map[string]any{"someday": []map[string]string{}}},
		"bad date":      {"timezone": "UTC", "holidays": []map[string]string{{"date": "2026-02-30", "name": "Nope"}}},
		"bad timezone":  {"timezone": "Nowhere/Land"},
		"no timezone":   {"days": map[string]any{}},
		"unknown key":   {"timezone": "UTC", "weekends": true},
	} {
		msg := contactsFail(b, "PUT", "/api/v1/settings/business-hours", "", body, http.StatusBadRequest, "invalid")
		require.NotEmpty(t, msg, name)
	}
	b.do("GET", "/api/v1/settings/business-hours", "", nil, http.StatusOK, &h)
	require.Equal(t, saved.Days, h.Days, "refused updates changed nothing")
	require.Equal(t, saved.Holidays, h.Holidays)
	require.Equal(t, 1, settingsEventCount(b, "settings.updated"))
}

func TestSettingsLifecycleStages(t *testing.T) {
	b := setup(t)
	var st settingsStages
	b.do("GET", "/api/v1/settings/lifecycle-stages", "", nil, http.StatusOK, &st)
	require.Equal(t, []string{"New Lead", "Hot Lead", "Payment", "Customer", "Cold Lead"}, settingsStageNames(st))
	require.True(t, st.Stages[4].Lost)

	hot := contactsCreate(b, map[string]any{"first_name": "Hot", "lifecycle": "Hot Lead"})
	cold := contactsCreate(b, map[string]any{"first_name": "Cold", "lifecycle": "Cold Lead"})
	customer := contactsCreate(b, map[string]any{"first_name": "Customer", "lifecycle": "Customer"})

	// Refused lists change nothing.
	tooMany := make([]map[string]any, 21)
	for i := range tooMany {
		tooMany[i] = map[string]any{"name": fmt.Sprintf("Stage %d", i)}
	}
	for _, body := range []map[string]any{
		{},
		{"stages": tooMany},
		{"stages": []map[string]any{{"name": "A"}, {"name": "a"}}},
		{"stages": []map[string]any{{"name": strings.Repeat("s", 65)}}},
		{"stages": []map[string]any{{"name": ""}}},
		{"stages": []map[string]any{{"name": "Warm", "rename_from": "Lukewarm"}}},
	} {
		contactsFail(b, "PUT", "/api/v1/settings/lifecycle-stages", "", body, http.StatusBadRequest, "invalid")
	}

	// Hot Lead becomes Warm Lead (its contacts follow), Cold Lead is removed (its contacts lose
	// it), Customer stays; order is as given.
	b.do("PUT", "/api/v1/settings/lifecycle-stages", "", map[string]any{"stages": []map[string]any{
		{"name": "New Lead", "emoji": "🆕"},
		{"name": "Customer", "emoji": "🤩"},
		{"name": "Warm Lead", "emoji": "☀️", "rename_from": "Hot Lead"},
		{"name": "Lost", "lost": true},
	}}, http.StatusOK, &st)
	require.Equal(t, []string{"New Lead", "Customer", "Warm Lead", "Lost"}, settingsStageNames(st))
	var st2 settingsStages
	b.do("GET", "/api/v1/settings/lifecycle-stages", "", nil, http.StatusOK, &st2)
	require.Equal(t, st, st2)

	var got chatcenter.Contact
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d", hot.ID), "", nil, http.StatusOK, &got)
	require.Equal(t, "Warm Lead", got.Lifecycle)
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d", cold.ID), "", nil, http.StatusOK, &got)
	require.Equal(t, "", got.Lifecycle)
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d", customer.ID), "", nil, http.StatusOK, &got)
	require.Equal(t, "Customer", got.Lifecycle)
	changes := contactsEvents(b, hot.ID, "contact.field_changed")
	require.Len(t, changes, 1)
	require.Equal(t, map[string]any{"field": "lifecycle", "old": "Hot Lead", "new": "Warm Lead"}, changes[0].Payload)
	require.Equal(t, b.owner.ID, *changes[0].Actor)
	require.Len(t, contactsEvents(b, cold.ID, "contact.field_changed"), 1)
	require.Empty(t, contactsEvents(b, customer.ID, "contact.field_changed"))

	contactsFail(b, "PUT", fmt.Sprintf("/api/v1/contacts/%d/lifecycle", customer.ID), "", map[string]any{"name": "Hot Lead"}, http.StatusBadRequest, "invalid")
	b.do("PUT", fmt.Sprintf("/api/v1/contacts/%d/lifecycle", customer.ID), "", map[string]any{"name": "lost"}, http.StatusOK, &got)
	require.Equal(t, "Lost", got.Lifecycle)
}

func settingsStageNames(st settingsStages) []string {
	out := make([]string, len(st.Stages))
	for i, s := range st.Stages {
		out[i] = s.Name
	}
	return out
}
