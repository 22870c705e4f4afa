package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestContactsTagNames(t *testing.T) {
	t.Parallel()
	got, err := contactTagNames([]string{" vip ", "vip", "Premium"}, 1)
	require.NoError(t, err)
	require.Equal(t, []string{"vip", "Premium"}, got, "trimmed and deduplicated, case kept")

	ten := make([]string, 10)
	for i := range ten {
		ten[i] = strings.Repeat("t", i+1)
	}
	_, err = contactTagNames(ten, 1)
	require.NoError(t, err)
	_, err = contactTagNames(append(ten, "eleven"), 1)
	require.Error(t, err)
	_, err = contactTagNames(nil, 1)
	require.Error(t, err)
	_, err = contactTagNames(nil, 0)
	require.NoError(t, err)
	_, err = contactTagNames([]string{strings.Repeat("é", 255)}, 1)
	require.NoError(t, err)
	_, err = contactTagNames([]string{strings.Repeat("é", 256)}, 1)
	require.Error(t, err)
	_, err = contactTagNames([]string{"  "}, 1)
	require.Error(t, err)
}

func TestContactsOptionalField(t *testing.T) {
	t.Parallel()
	var in contactInput
	require.NoError(t, json.Unmarshal([]byte(`{"last_name":null,"phone":"+60123456789","custom_fields":{"plan":null}}`), &in))
	require.False(t, in.FirstName.Set)
	require.True(t, in.LastName.Set && in.LastName.Null)
	require.True(t, in.Phone.Set && !in.Phone.Null)
	require.Equal(t, "+60123456789", in.Phone.Value)
	require.Equal(t, json.RawMessage("null"), in.CustomFields.Value["plan"])
}

func TestContactsChangeEvents(t *testing.T) {
	t.Parallel()
	phone := "+60123456789"
	before := contactValues{FirstName: "Ana", Phone: &phone, CustomFields: map[string]any{"plan": "Gold", "score": json.Number("7")},
		Tags: []string{"vip", "lead"}, Lifecycle: "New Lead"}
	after := contactValues{FirstName: "Ana", LastName: "Silva", CustomFields: map[string]any{"plan": "Gold", "score": json.Number("8"), "vat": true},
		Tags: []string{"vip", "customer"}, Lifecycle: "Customer"}

	type ev struct {
		Type    string
		Payload map[string]any
	}
	var got []ev
	for _, e := range contactChangeEvents(before, after) {
		got = append(got, ev{e.Type, e.Payload})
	}
	require.Equal(t, []ev{
		{"contact.field_changed", map[string]any{"field": "last_name", "old": nil, "new": "Silva"}},
		{"contact.field_changed", map[string]any{"field": "phone", "old": "+60123456789", "new": nil}},
		{"contact.field_changed", map[string]any{"field": "lifecycle", "old": "New Lead", "new": "Customer"}},
		{"contact.field_changed", map[string]any{"field": "score", "old": json.Number("7"), "new": json.Number("8"), "custom": true}},
		{"contact.field_changed", map[string]any{"field": "vat", "old": nil, "new": true, "custom": true}},
		{"contact.tag_added", map[string]any{"tag": "customer"}},
		{"contact.tag_removed", map[string]any{"tag": "lead"}},
	}, got)
	require.Empty(t, contactChangeEvents(before, before))
}
