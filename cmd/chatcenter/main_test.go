package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/db/dbtest"
)

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestDevRunsTheProduct starts `chatcenter dev` as a user would (on free ports), logs in, checks
// readiness and the index page, then stops it with a cancelled context as SIGINT would.
func TestDevRunsTheProduct(t *testing.T) {
	dataDir := t.TempDir()
	vars := map[string]string{
		"DATABASE_URL":                    dbtest.URL(t),
		"CHATCENTER_DATA_DIR":             dataDir,
		"CHATCENTER_HTTP_ADDR":            "127.0.0.1:0",
		"CHATCENTER_DEV_TEMPORAL_ADDR":    "127.0.0.1:0",
		"CHATCENTER_DEV_TEMPORAL_UI_ADDR": "127.0.0.1:0",
		"CHATCENTER_LOG_LEVEL":            "error",
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"dev"}, env(vars), &stdout, &stderr) }()

	apiRe := regexp.MustCompile(`API:\s+(http://\S+)`)
	uiRe := regexp.MustCompile(`Temporal UI:\s+(http://\S+)`)
	var apiURL string
	require.Eventually(t, func() bool {
		m := apiRe.FindStringSubmatch(stdout.String())
		if m != nil {
			apiURL = m[1]
		}
		return m != nil
	}, 2*time.Minute, 50*time.Millisecond, "dev did not start: %s", stderr.String())

	pw := regexp.MustCompile(`Generated password \(shown once\): (\S+)`).FindStringSubmatch(stdout.String())
	require.NotNil(t, pw, stdout.String())
	body, _ := json.Marshal(map[string]string{"email": "admin@example.com", "password": pw[1]})
	resp, err := http.Post(apiURL+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp, err = http.Get(apiURL + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp, err = http.Get(apiURL + "/")
	require.NoError(t, err)
	buf := new(bytes.Buffer)
	_, _ = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	ui := uiRe.FindStringSubmatch(stdout.String())
	require.NotNil(t, ui)
	require.Contains(t, buf.String(), ui[1], "the index page links the Temporal UI")
	resp, err = http.Get(ui[1])
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("dev did not shut down")
	}
	require.FileExists(t, dataDir+"/temporal.db")
	require.FileExists(t, dataDir+"/secret.key")
	require.DirExists(t, dataDir+"/files")

	// A second start reuses the data: no new owner, same key.
	ctx2, cancel2 := context.WithCancel(context.Background())
	var out2 syncBuffer
	go func() { done <- run(ctx2, []string{"dev"}, env(vars), &out2, &stderr) }()
	require.Eventually(t, func() bool { return apiRe.MatchString(out2.String()) }, 2*time.Minute, 50*time.Millisecond)
	require.NotContains(t, out2.String(), "Created the first workspace")
	cancel2()
	require.NoError(t, <-done)

	// The data dir belongs to that database: started against another one, dev refuses rather
	// than signal the new database's contacts into the old one's conversations.
	require.FileExists(t, dataDir+"/installation")
	vars["DATABASE_URL"] = dbtest.URL(t)
	var out3 syncBuffer
	err = run(context.Background(), []string{"dev"}, env(vars), &out3, &stderr)
	require.ErrorContains(t, err, "holds the workflow engine's state for another database")
	require.NotContains(t, out3.String(), "API:")
}

func TestCommands(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"version"}, env(nil), &out, &errOut))
	require.True(t, strings.HasPrefix(out.String(), "chatcenter "))

	require.Error(t, run(context.Background(), []string{"bogus"}, env(nil), &out, &errOut))
	require.Error(t, run(context.Background(), nil, env(nil), &out, &errOut))

	u := dbtest.URL(t)
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"migrate", "status"}, env(map[string]string{"DATABASE_URL": u}), &out, &errOut))
	require.Contains(t, out.String(), "applied")
	require.NoError(t, run(context.Background(), []string{"migrate", "down"}, env(map[string]string{"DATABASE_URL": u}), &out, &errOut))
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"migrate", "status"}, env(map[string]string{"DATABASE_URL": u}), &out, &errOut))
	require.Contains(t, out.String(), "pending")
	require.NoError(t, run(context.Background(), []string{"migrate", "up"}, env(map[string]string{"DATABASE_URL": u}), &out, &errOut))
	require.Error(t, run(context.Background(), []string{"migrate", "sideways"}, env(map[string]string{"DATABASE_URL": u}), &out, &errOut))

	// serve and worker refuse to start without their required configuration.
	err := run(context.Background(), []string{"serve"}, env(map[string]string{"DATABASE_URL": u}), &out, &errOut)
	require.ErrorContains(t, err, "CHATCENTER_SECRET_KEY")
}
