package devserver_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/chatcenterhq/chatcenter/devserver"
)

const (
	taskQueue  = "devserver-test"
	signalName = "go"
)

// waitForSignal is the test workflow: it blocks until it gets a signal and
// returns what the signal carried, so a test controls when it completes.
func waitForSignal(ctx workflow.Context) (string, error) {
	var v string
	workflow.GetSignalChannel(ctx, signalName).Receive(ctx, &v)
	return "got " + v, nil
}

// testLogger sends warnings and errors to the test log, so a failing test
// shows what the server complained about.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func start(t *testing.T, o devserver.Options) *devserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	begin := time.Now()
	s, err := devserver.Start(ctx, o)
	require.NoError(t, err)
	t.Logf("devserver started in %v: frontend %s, UI %q", time.Since(begin).Round(time.Millisecond), s.FrontendAddr(), s.UIAddr())
	// Stop is idempotent, so tests may also stop explicitly.
	t.Cleanup(func() { require.NoError(t, s.Stop()) })
	return s
}

func newClient(t *testing.T, s *devserver.Server) client.Client {
	t.Helper()
	c, err := s.NewClient(client.Options{Logger: sdklog.NewStructuredLogger(testLogger(t))})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func startWorker(t *testing.T, c client.Client) worker.Worker {
	t.Helper()
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(waitForSignal)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return w
}

func TestWorkflowUIAndSearchAttributes(t *testing.T) {
	s := start(t, devserver.Options{
		DataDir:      t.TempDir(),
		FrontendAddr: "127.0.0.1:0",
		UIAddr:       "127.0.0.1:0",
		SearchAttributes: map[string]enumspb.IndexedValueType{
			"WorkspaceId":   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			"LastInboundAt": enumspb.INDEXED_VALUE_TYPE_DATETIME,
		},
		Logger: testLogger(t),
	})
	require.Equal(t, "default", s.Namespace())
	requireRealPort(t, s.FrontendAddr())
	requireRealPort(t, s.UIAddr())

	c := newClient(t, s)
	startWorker(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        "wf-search-attrs",
		TaskQueue: taskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword("WorkspaceId").ValueSet("w1"),
			temporal.NewSearchAttributeKeyTime("LastInboundAt").ValueSet(time.Now()),
		),
	}, waitForSignal)
	require.NoError(t, err)
	require.NoError(t, c.SignalWorkflow(ctx, run.GetID(), run.GetRunID(), signalName, "hello"))
	var result string
	require.NoError(t, run.Get(ctx, &result))
	require.Equal(t, "got hello", result)

	// The UI serves its single-page app at the root.
	resp, err := http.Get("http://" + s.UIAddr() + "/")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	require.Contains(t, strings.ToLower(string(body)), "<html")

	require.Equal(t, []string{run.GetRunID()}, eventuallyList(t, c, `WorkspaceId="w1"`))

	// A query on a value nobody used finds nothing, so the match above is
	// really the attribute at work and not a catch-all.
	list, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: `WorkspaceId="w2"`})
	require.NoError(t, err)
	require.Empty(t, list.GetExecutions())
}

func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	logger := testLogger(t)
	const workflowID = "wf-survives-restart"

	// First run: start a workflow that waits for a signal. No worker yet, so
	// its first workflow task is still pending when the server stops.
	s1 := start(t, devserver.Options{
		DataDir:      dir,
		FrontendAddr: "127.0.0.1:0",
		SearchAttributes: map[string]enumspb.IndexedValueType{
			"WorkspaceId": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		},
		Logger: logger,
	})
	require.Empty(t, s1.UIAddr())
	c1, err := s1.NewClient(client.Options{Logger: sdklog.NewStructuredLogger(logger)})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	run, err := c1.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        workflowID,
		TaskQueue: taskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword("WorkspaceId").ValueSet("w1"),
		),
	}, waitForSignal)
	require.NoError(t, err)
	c1.Close()
	require.NoError(t, s1.Stop())

	// The workflow is in the file, read through a fresh connection. (Within
	// one process the server's SQLite plugin keeps its connection open across
	// Stop and reuses it on the next Start, so the restart below alone would
	// not prove that anything reached the disk.)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "temporal.db")+"?mode=ro")
	require.NoError(t, err)
	var n int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM current_executions WHERE workflow_id = ?", workflowID).Scan(&n))
	require.NoError(t, db.Close())
	require.Equal(t, 1, n)

	// Second run on the same directory, with one more search attribute.
	s2 := start(t, devserver.Options{
		DataDir:      dir,
		FrontendAddr: "127.0.0.1:0",
		SearchAttributes: map[string]enumspb.IndexedValueType{
			"WorkspaceId": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			"ContactId":   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		},
		Logger: logger,
	})
	c2 := newClient(t, s2)

	// The attribute added on restart is usable as soon as Start returns:
	// every service validates search attributes against its own namespace
	// cache and would reject an attribute it does not know yet.
	run2, err := c2.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        "wf-new-attribute",
		TaskQueue: taskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword("ContactId").ValueSet("c1"),
		),
	}, waitForSignal)
	require.NoError(t, err)

	desc, err := c2.DescribeWorkflowExecution(ctx, workflowID, run.GetRunID())
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())

	attrs, err := c2.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: s2.Namespace()})
	require.NoError(t, err)
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, attrs.GetCustomAttributes()["WorkspaceId"])
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, attrs.GetCustomAttributes()["ContactId"])

	startWorker(t, c2)
	require.NoError(t, c2.SignalWorkflow(ctx, workflowID, run.GetRunID(), signalName, "after restart"))
	var result string
	require.NoError(t, c2.GetWorkflow(ctx, workflowID, run.GetRunID()).Get(ctx, &result))
	require.Equal(t, "got after restart", result)

	require.NoError(t, c2.SignalWorkflow(ctx, run2.GetID(), run2.GetRunID(), signalName, "new"))
	require.NoError(t, run2.Get(ctx, &result))
	require.Equal(t, "got new", result)

	// The new attribute is indexed too, not merely accepted.
	require.Equal(t, []string{run2.GetRunID()}, eventuallyList(t, c2, `ContactId="c1"`))
}

func TestStopTwice(t *testing.T) {
	s := start(t, devserver.Options{
		DataDir:      t.TempDir(),
		FrontendAddr: "127.0.0.1:0",
		UIAddr:       "127.0.0.1:0",
		Logger:       testLogger(t),
	})
	frontend, ui := s.FrontendAddr(), s.UIAddr()
	requirePortOpen(t, frontend, true)
	requirePortOpen(t, ui, true)

	require.NoError(t, s.Stop())
	require.NoError(t, s.Stop())
	requirePortOpen(t, frontend, false)
	requirePortOpen(t, ui, false)
}

func TestStartRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	_, err := devserver.Start(ctx, devserver.Options{FrontendAddr: "127.0.0.1:0"})
	require.ErrorContains(t, err, "DataDir")

	_, err = devserver.Start(ctx, devserver.Options{DataDir: t.TempDir(), FrontendAddr: "example.com:7233"})
	require.ErrorContains(t, err, "not an IP address")

	// A busy frontend port is reported as such, before anything starts.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	dir := t.TempDir()
	_, err = devserver.Start(ctx, devserver.Options{DataDir: dir, FrontendAddr: l.Addr().String()})
	require.ErrorContains(t, err, "address already in use")
	_, err = devserver.Start(ctx, devserver.Options{DataDir: dir, FrontendAddr: "127.0.0.1:0", UIAddr: l.Addr().String()})
	require.ErrorContains(t, err, "address already in use")
	_, statErr := os.Stat(filepath.Join(dir, "temporal.db"))
	require.ErrorIs(t, statErr, os.ErrNotExist, "nothing may start when a port is busy")
}

// eventuallyList polls ListWorkflow until query matches something and returns
// the matching run IDs. Visibility records are written asynchronously after
// a workflow starts, hence the polling.
func eventuallyList(t *testing.T, c client.Client, query string) []string {
	t.Helper()
	var found []string
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		list, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Logf("ListWorkflow(%s): %v", query, err)
			return false
		}
		found = found[:0]
		for _, e := range list.GetExecutions() {
			found = append(found, e.GetExecution().GetRunId())
		}
		return len(found) > 0
	}, 10*time.Second, 200*time.Millisecond, "no workflow matches %s", query)
	return found
}

func requireRealPort(t *testing.T, addr string) {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	require.NotEqual(t, "0", port, addr)
}

func requirePortOpen(t *testing.T, addr string, open bool) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if conn != nil {
		_ = conn.Close()
	}
	if open {
		require.NoError(t, err, addr)
	} else {
		require.Error(t, err, addr)
	}
}
