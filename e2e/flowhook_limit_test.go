package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/api"
	"github.com/chatcenterhq/chatcenter/flows"
)

// An incoming webhook called faster than its limit answers 429 with Retry-After and starts
// nothing; each flow has its own budget.
func TestIncomingWebhookRateLimit(t *testing.T) {
	b := setup(t, func(s *api.Server) { s.FlowHookRate, s.FlowHookBurst = 0.01, 3 })
	def := flows.Flow{Trigger: flows.Trigger{Type: flows.TriggerIncomingWebhook, Next: "tag"}, Steps: []flows.Step{
		{ID: "tag", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"hooked"}}},
	}}
	hookPath := func(flowID int64) string {
		var hook struct{ URL string }
		b.do("GET", fmt.Sprintf("/api/v1/flows/%d/webhook", flowID), "", nil, http.StatusOK, &hook)
		return strings.TrimPrefix(hook.URL, b.api.URL)
	}
	first := frFlow(b, "Limited", def, true)
	second := frFlow(b, "Other", def, true)
	firstPath, secondPath := hookPath(first), hookPath(second)

	for i := range 3 {
		b.request("POST", firstPath, nil, map[string]any{"email": fmt.Sprintf("l%d@example.com", i)}, http.StatusAccepted, nil)
	}
	req, err := http.NewRequest("POST", b.api.URL+firstPath, strings.NewReader(`{"email":"over@example.com"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.Greater(t, wait, 60, "one call per 100 s: the next token is far away")
	var e struct {
		Error struct{ Code, Message string }
	}
	b.request("POST", firstPath, nil, map[string]any{"email": "over2@example.com"}, http.StatusTooManyRequests, &e)
	require.Equal(t, "rate_limited", e.Error.Code)
	require.Contains(t, e.Error.Message, "bursts of 3")

	// Nothing was created for the refused calls.
	var n int
	require.NoError(t, b.db.Pool.QueryRow(context.Background(),
		"SELECT count(*) FROM contacts WHERE email IN ('over@example.com', 'over2@example.com')").Scan(&n))
	require.Zero(t, n)
	require.Len(t, frRuns(b, first, "").Items, 3)

	// Another flow's webhook has its own budget; unknown tokens stay 404, not 429.
	b.request("POST", secondPath, nil, map[string]any{"email": "other@example.com"}, http.StatusAccepted, nil)
	b.request("POST", "/hooks/flows/"+strings.Repeat("A", 43), nil, map[string]any{"email": "x@example.com"}, http.StatusNotFound, nil)
}
