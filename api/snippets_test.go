package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type snippetsSnippet struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Text      string    `json:"text"`
	FileID    *int64    `json:"file_id"`
	CreatedBy *int64    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func snippetsCreate(e *commentsEnv, u commentsUser, body map[string]any) snippetsSnippet {
	e.t.Helper()
	var out snippetsSnippet
	e.do(u, "POST", "/snippets", body, http.StatusCreated, &out)
	return out
}

func snippetsList(e *commentsEnv, u commentsUser, query string) []snippetsSnippet {
	e.t.Helper()
	var l commentsList[snippetsSnippet]
	e.do(u, "GET", "/snippets"+query, nil, http.StatusOK, &l)
	return l.Items
}

func TestSnippetsCRUDAndPermissions(t *testing.T) {
	e := commentsSetup(t)
	sn := snippetsCreate(e, e.manager, map[string]any{"name": "  greeting ", "text": "Hi {{$contact.first_name}}!", "file_id": 42})
	require.Equal(t, "greeting", sn.Name)
	require.Equal(t, "Hi {{$contact.first_name}}!", sn.Text)
	require.EqualValues(t, 42, *sn.FileID)
	require.Equal(t, e.manager.id, *sn.CreatedBy)
	bye := snippetsCreate(e, e.owner, map[string]any{"name": "bye", "text": "Bye!"})
	require.Nil(t, bye.FileID)

	// Agents read and preview, but do not write.
	e.do(e.agent, "POST", "/snippets", map[string]any{"name": "mine", "text": "x"}, http.StatusForbidden, nil)
	e.do(e.agent, "PATCH", fmt.Sprintf("/snippets/%d", sn.ID), map[string]any{"text": "changed"}, http.StatusForbidden, nil)
	e.do(e.agent, "DELETE", fmt.Sprintf("/snippets/%d", sn.ID), nil, http.StatusForbidden, nil)
	var got snippetsSnippet
	e.do(e.agent, "GET", fmt.Sprintf("/snippets/%d", sn.ID), nil, http.StatusOK, &got)
	require.Equal(t, sn, got)
	require.Equal(t, []int64{bye.ID, sn.ID}, []int64{snippetsList(e, e.agent, "")[0].ID, snippetsList(e, e.agent, "")[1].ID})
	require.Equal(t, 2, e.count(`SELECT count(*) FROM snippets`))

	// Another workspace sees none of them.
	require.Empty(t, snippetsList(e, e.other, ""))
	e.do(e.other, "GET", fmt.Sprintf("/snippets/%d", sn.ID), nil, http.StatusNotFound, nil)
	e.do(e.other, "PATCH", fmt.Sprintf("/snippets/%d", sn.ID), map[string]any{"text": "hijack"}, http.StatusNotFound, nil)
	e.do(e.other, "DELETE", fmt.Sprintf("/snippets/%d", sn.ID), nil, http.StatusNotFound, nil)
	// ... and may use the same names.
	snippetsCreate(e, e.other, map[string]any{"name": "greeting", "text": "Hello"})

	// PATCH changes what is given: absent file_id stays, null clears it.
	var up snippetsSnippet
	e.do(e.manager, "PATCH", fmt.Sprintf("/snippets/%d", sn.ID), map[string]any{"text": "Hello {{$contact.first_name}}"}, http.StatusOK, &up)
	require.Equal(t, "Hello {{$contact.first_name}}", up.Text)
	require.Equal(t, "greeting", up.Name)
	require.EqualValues(t, 42, *up.FileID)
	require.True(t, up.UpdatedAt.After(sn.UpdatedAt))
	e.do(e.manager, "PATCH", fmt.Sprintf("/snippets/%d", sn.ID), map[string]any{"file_id": nil, "name": "hello"}, http.StatusOK, &up)
	require.Nil(t, up.FileID)
	require.Equal(t, "hello", up.Name)
	e.do(e.manager, "PATCH", fmt.Sprintf("/snippets/%d", sn.ID), map[string]any{"file_id": 7}, http.StatusOK, &up)
	require.EqualValues(t, 7, *up.FileID)
	var same snippetsSnippet
	e.do(e.manager, "PATCH", fmt.Sprintf("/snippets/%d", sn.ID), map[string]any{}, http.StatusOK, &same)
	require.Equal(t, up, same)

	// Events for every change.
	require.Len(t, e.events("snippet.created"), 3)
	require.Len(t, e.events("snippet.updated"), 3)

	e.do(e.owner, "DELETE", fmt.Sprintf("/snippets/%d", sn.ID), nil, http.StatusNoContent, nil)
	e.do(e.owner, "GET", fmt.Sprintf("/snippets/%d", sn.ID), nil, http.StatusNotFound, nil)
	e.do(e.owner, "DELETE", fmt.Sprintf("/snippets/%d", sn.ID), nil, http.StatusNotFound, nil)
	require.Len(t, e.events("snippet.deleted"), 1)
	require.Len(t, snippetsList(e, e.agent, ""), 1)
}

func TestSnippetsNamesAreUniquePerWorkspace(t *testing.T) {
	e := commentsSetup(t)
	snippetsCreate(e, e.manager, map[string]any{"name": "Price", "text": "It costs 10"})
	other := snippetsCreate(e, e.manager, map[string]any{"name": "hours", "text": "9 to 5"})

	var er commentsError
	e.do(e.manager, "POST", "/snippets", map[string]any{"name": "price", "text": "dup"}, http.StatusConflict, &er)
	require.Equal(t, "conflict", er.Error.Code)
	require.Contains(t, er.Error.Message, `"price"`)
	e.do(e.owner, "POST", "/snippets", map[string]any{"name": " PRICE ", "text": "dup"}, http.StatusConflict, nil)
	e.do(e.manager, "PATCH", fmt.Sprintf("/snippets/%d", other.ID), map[string]any{"name": "PRICE"}, http.StatusConflict, nil)
	require.Equal(t, 2, e.count(`SELECT count(*) FROM snippets`))
	var got snippetsSnippet
	e.do(e.manager, "GET", fmt.Sprintf("/snippets/%d", other.ID), nil, http.StatusOK, &got)
	require.Equal(t, "hours", got.Name)
	// Renaming to its own name (another case) is fine.
	e.do(e.manager, "PATCH", fmt.Sprintf("/snippets/%d", other.ID), map[string]any{"name": "Hours"}, http.StatusOK, &got)
	require.Equal(t, "Hours", got.Name)
}

func TestSnippetsValidation(t *testing.T) {
	e := commentsSetup(t)
	sn := snippetsCreate(e, e.manager, map[string]any{"name": strings.Repeat("n", 64), "text": strings.Repeat("ñ", 2000)})
	bad := map[string]any{
		"missing name":   map[string]any{"text": "x"},
		"blank name":     map[string]any{"name": "   ", "text": "x"},
		"long name":      map[string]any{"name": strings.Repeat("n", 65), "text": "x"},
		"missing text":   map[string]any{"name": "a"},
		"blank text":     map[string]any{"name": "a", "text": " \n "},
		"long text":      map[string]any{"name": "a", "text": strings.Repeat("ñ", 2001)},
		"NUL":            map[string]any{"name": "a", "text": "x\x00"},
		"zero file":      map[string]any{"name": "a", "text": "x", "file_id": 0},
		"negative file":  map[string]any{"name": "a", "text": "x", "file_id": -3},
		"file as string": map[string]any{"name": "a", "text": "x", "file_id": "3"},
		"unknown field":  map[string]any{"name": "a", "text": "x", "shortcut": "/a"},
	}
	for name, body := range bad {
		var er commentsError
		e.do(e.manager, "POST", "/snippets", body, http.StatusBadRequest, &er)
		require.Equal(t, "invalid", er.Error.Code, name)
	}
	e.do(e.manager, "POST", "/snippets", "", http.StatusBadRequest, nil)
	for _, body := range []map[string]any{
		{"name": ""},
		{"text": strings.Repeat("x", 2001)},
		{"text": nil, "name": "x", "file_id": -1},
		{"file_id": "x"},
		{"title": "x"},
	} {
		e.do(e.manager, "PATCH", fmt.Sprintf("/snippets/%d", sn.ID), body, http.StatusBadRequest, nil)
	}
	require.Equal(t, 1, e.count(`SELECT count(*) FROM snippets`))
	require.Len(t, e.events("snippet.created"), 1)
	require.Len(t, e.events("snippet.updated"), 0)
}

func TestSnippetsSearch(t *testing.T) {
	e := commentsSetup(t)
	a := snippetsCreate(e, e.manager, map[string]any{"name": "Shipping", "text": "Orders ship in 2 days"})
	b := snippetsCreate(e, e.manager, map[string]any{"name": "refund", "text": "Refunds take 5 days (100% guaranteed)"})
	c := snippetsCreate(e, e.manager, map[string]any{"name": "hello_world", "text": "Hi!"})
	names := func(query string) []int64 {
		var ids []int64
		for _, s := range snippetsList(e, e.agent, query) {
			ids = append(ids, s.ID)
		}
		return ids
	}
	require.Equal(t, []int64{b.ID, a.ID}, names("?search=DAYS"))
	require.Equal(t, []int64{a.ID}, names("?search=shipp"))
	require.Equal(t, []int64{b.ID}, names("?search="+url.QueryEscape("100%")))
	require.Equal(t, []int64{c.ID}, names("?search=_")) // no LIKE wildcards
	require.Empty(t, names("?search="+url.QueryEscape("%"+"x")))
	require.Equal(t, []int64{c.ID, b.ID, a.ID}, names("?search=+"))
	require.Len(t, names("?search=days&limit=1"), 1)
	e.do(e.agent, "GET", "/snippets?search=%ff", nil, http.StatusBadRequest, nil)
}

func TestSnippetsRenderForContactAndUser(t *testing.T) {
	e := commentsSetup(t)
	_, err := e.db.Pool.Exec(context.Background(),
		`UPDATE contacts SET email = 'carla@example.com', country_code = 'BR', lifecycle = 'Customer',
		 custom_fields = '{"order_id": "A-77", "points": 1500}' WHERE id = $1`, e.contact)
	require.NoError(t, err)
	sn := snippetsCreate(e, e.manager, map[string]any{
		"name": "order", "file_id": 9,
		"text": `Hi {{ $contact.first_name }} {{$contact.last_name}} ({{$contact.email}}, {{$contact.phone}}, {{$contact.country_code}}, {{$contact.language}}, {{$contact.lifecycle}}): order {{$contact.order_id}}, {{$contact.points}} points. {{$contact.coupon | default: 'no coupon'}}. — {{$user.first_name}} / {{$user.last_name}} / {{$user.name}} <{{$user.email}}> {{$other.x}} {{@user.1}}`,
	})
	var out struct {
		Text   string `json:"text"`
		FileID *int64 `json:"file_id"`
	}
	e.do(e.agent, "POST", fmt.Sprintf("/snippets/%d/render", sn.ID), map[string]any{"contact_id": e.contact}, http.StatusOK, &out)
	require.Equal(t, "Hi Carla Cliente (carla@example.com, +5511999990001, BR, es, Customer): order A-77, 1500 points. no coupon. — Ana / María Agent / Ana María Agent <agent@acme.test> {{$other.x}} {{@user.1}}", out.Text)
	require.EqualValues(t, 9, *out.FileID)

	// Missing values render empty or as their default; the stored snippet is untouched.
	greet := snippetsCreate(e, e.manager, map[string]any{"name": "greet", "text": `Hi {{$contact.last_name | default: "there"}}{{$contact.email}}, I'm {{$user.first_name}}`})
	e.do(e.agent2, "POST", fmt.Sprintf("/snippets/%d/render", greet.ID), map[string]any{"contact_id": e.contact2}, http.StatusOK, &out)
	require.Equal(t, "Hi there, I'm Bruno", out.Text)
	require.Nil(t, out.FileID)
	var stored snippetsSnippet
	e.do(e.agent, "GET", fmt.Sprintf("/snippets/%d", greet.ID), nil, http.StatusOK, &stored)
	require.Equal(t, `Hi {{$contact.last_name | default: "there"}}{{$contact.email}}, I'm {{$user.first_name}}`, stored.Text)

	// A contact of another workspace, or none, is bad input; a foreign snippet is not found.
	e.do(e.agent, "POST", fmt.Sprintf("/snippets/%d/render", sn.ID), map[string]any{"contact_id": e.otherContact}, http.StatusBadRequest, nil)
	e.do(e.agent, "POST", fmt.Sprintf("/snippets/%d/render", sn.ID), map[string]any{"contact_id": 999999}, http.StatusBadRequest, nil)
	e.do(e.agent, "POST", fmt.Sprintf("/snippets/%d/render", sn.ID), map[string]any{}, http.StatusBadRequest, nil)
	e.do(e.other, "POST", fmt.Sprintf("/snippets/%d/render", sn.ID), map[string]any{"contact_id": e.otherContact}, http.StatusNotFound, nil)
}
