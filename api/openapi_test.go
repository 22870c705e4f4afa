package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOpenAPICoversEveryRoute: every registered route is documented, every documented route is
// registered, and every schema reference resolves.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s := &Server{}
	s.Handler()
	registered := map[string]bool{}
	for _, r := range s.Routes() {
		registered[r.Method+" "+r.Path] = true
		require.True(t, Documented(r.Method, r.Path), "route %s %s has no OpenAPI documentation (document it next to its handler)", r.Method, r.Path)
	}
	docsMu.Lock()
	for key := range docs {
		require.True(t, registered[key], "documented route %s is not registered", key)
	}
	docsMu.Unlock()

	doc := s.OpenAPI()
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	var parsed struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(raw, &parsed))
	require.Equal(t, "3.0.3", parsed.OpenAPI)
	ops := 0
	for _, item := range parsed.Paths {
		ops += len(item)
	}
	require.Equal(t, len(s.Routes()), ops, "one operation per route")
	for _, ref := range strings.Split(string(raw), `"$ref":"#/components/schemas/`)[1:] {
		name := ref[:strings.IndexByte(ref, '"')]
		require.Contains(t, parsed.Components.Schemas, name, "dangling $ref %s", name)
	}
	// Spot-check a schema derived from the Go types.
	conv := parsed.Components.Schemas["Conversation"].(map[string]any)
	require.Contains(t, conv["properties"], "assignee_id")
}
