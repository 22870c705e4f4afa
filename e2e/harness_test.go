// Package e2e runs Chat Center end to end: an in-process Temporal server (temporaltest), a fresh
// Postgres database, the real workers and the API over HTTP, with fake providers (httptest) that
// check requests the way the providers do.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/activities"
	"github.com/chatcenterhq/chatcenter/api"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/db/dbtest"
	"github.com/chatcenterhq/chatcenter/flowhttp"
	"github.com/chatcenterhq/chatcenter/flowrun"
	"github.com/chatcenterhq/chatcenter/secret"
	"github.com/chatcenterhq/chatcenter/storage"
	"github.com/chatcenterhq/chatcenter/worker"
	"github.com/chatcenterhq/chatcenter/workflows"
)

const (
	adminEmail    = "owner@example.com"
	adminPassword = "correct horse battery"
	botToken      = "123456:ABC-def_ghi"
	secretToken   = "tg-secret_token-1"
)

// bundle is one isolated Chat Center: its database, engine, API and fake Telegram.
type bundle struct {
	t        *testing.T
	db       *db.DB
	temporal client.Client
	api      *httptest.Server
	server   *api.Server
	telegram *fakeTelegram
	token    string
	owner    chatcenter.User
	filesDir string
	linkKey  []byte
	workers  *worker.Set
}

type option func(*api.Server)

func withPublicURL(u string) option { return func(s *api.Server) { s.PublicURL = u } }

func withMaxUpload(n int64) option { return func(s *api.Server) { s.MaxUpload = n } }

// actsOptions holds, per API server being set up, the changes options make to the workers'
// activities: an option only sees the server, and setup builds the activities after it.
var actsOptions sync.Map // *api.Server → []func(*activities.Activities)

// withActivities is an option that changes the workers' activities.
func withActivities(f func(*activities.Activities)) option {
	return func(s *api.Server) {
		prev, _ := actsOptions.Load(s)
		fs, _ := prev.([]func(*activities.Activities))
		actsOptions.Store(s, append(fs, f))
	}
}

// withFlowHTTPAllow lets flows' HTTP Request steps reach the given internal address ranges (the
// fake APIs of tests listen on 127.0.0.1, which the guarded client refuses by default).
func withFlowHTTPAllow(prefixes ...netip.Prefix) option {
	return withActivities(func(a *activities.Activities) { a.FlowHTTPClient = flowhttp.NewClient(prefixes, 0) })
}

// setup starts one isolated Chat Center: a fresh database, an in-process Temporal server with the
// search attributes, the API on an httptest server, then the workers (which need the API's URL
// for the file links providers fetch), the first owner logged in, and a fake Telegram.
func setup(t *testing.T, opts ...option) *bundle {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t)
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	tc := ts.GetDefaultClient()
	_, err := tc.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: ts.GetDefaultNamespace(), SearchAttributes: workflows.SearchAttributes(),
	})
	require.NoError(t, err)
	secretKey := bytes.Repeat([]byte{7}, 32)
	box, err := secret.NewBox(secretKey)
	require.NoError(t, err)
	linkKey, err := storage.DeriveLinkKey(secretKey)
	require.NoError(t, err)
	filesDir := t.TempDir()
	store, err := storage.NewLocal(filesDir)
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	srv := &api.Server{DB: d, Temporal: tc, Box: box, Log: log, UpdateTimeout: 10 * time.Second,
		Storage: store, FileLinkKey: linkKey, Flows: &flowrun.Enroller{DB: d, Temporal: tc, Log: log}}
	for _, o := range opts {
		o(srv)
	}
	httpSrv := httptest.NewServer(srv.Handler())
	t.Cleanup(httpSrv.Close)
	srv.LocalURL = httpSrv.URL

	acts := activities.New(d, box, log)
	acts.BaseURL, acts.FileLinkKey, acts.Files = httpSrv.URL, linkKey, store
	if fs, ok := actsOptions.LoadAndDelete(srv); ok {
		for _, f := range fs.([]func(*activities.Activities)) {
			f(acts)
		}
	}
	workers, err := worker.Start(tc, acts)
	require.NoError(t, err)
	t.Cleanup(workers.Stop)

	res, err := api.Bootstrap(ctx, d, adminEmail, adminPassword)
	require.NoError(t, err)
	require.True(t, res.Created)

	b := &bundle{t: t, db: d, temporal: tc, api: httpSrv, server: srv, telegram: newFakeTelegram(t), filesDir: filesDir, linkKey: linkKey, workers: workers}
	var login struct {
		Token string          `json:"token"`
		User  chatcenter.User `json:"user"`
	}
	b.do("POST", "/api/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}, http.StatusOK, &login)
	b.token, b.owner = login.Token, login.User
	return b
}

// do sends a JSON request with the owner's token (or the given one) and decodes the answer,
// failing the test on an unexpected status.
func (b *bundle) do(method, path, token string, body any, wantStatus int, out any) []byte {
	b.t.Helper()
	if token == "" {
		token = b.token
	}
	return b.request(method, path, map[string]string{"Authorization": "Bearer " + token}, body, wantStatus, out)
}

func (b *bundle) request(method, path string, headers map[string]string, body any, wantStatus int, out any) []byte {
	b.t.Helper()
	var r io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(v)
	case []byte:
		r = bytes.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		require.NoError(b.t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.api.URL+path, r)
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if v != "Bearer " {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	require.Equal(b.t, wantStatus, resp.StatusCode, "%s %s: %s", method, path, raw)
	if out != nil {
		require.NoError(b.t, json.Unmarshal(raw, out), "%s", raw)
	}
	return raw
}

// createTelegramChannel creates a Telegram channel pointing at the fake Telegram.
func (b *bundle) createTelegramChannel() int64 {
	b.t.Helper()
	var ch struct {
		ID         int64          `json:"id"`
		WebhookURL string         `json:"webhook_url"`
		Config     map[string]any `json:"config"`
	}
	b.do("POST", "/api/v1/channels", "", map[string]any{
		"type": "telegram", "name": "Support bot",
		"config": map[string]any{"bot_token": botToken, "secret_token": secretToken, "api_base_url": b.telegram.srv.URL},
	}, http.StatusCreated, &ch)
	require.Equal(b.t, fmt.Sprintf("%s/webhooks/telegram/%d", b.api.URL, ch.ID), ch.WebhookURL)
	return ch.ID
}

// postUpdate delivers a Telegram update to the webhook with the right secret.
func (b *bundle) postUpdate(channelID int64, update string, wantStatus int) {
	b.t.Helper()
	b.request("POST", fmt.Sprintf("/webhooks/telegram/%d", channelID),
		map[string]string{"X-Telegram-Bot-Api-Secret-Token": secretToken}, update, wantStatus, nil)
}

// eventually polls cond until it holds or 20 s pass.
func (b *bundle) eventually(what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("timed out waiting for %s", what)
}

type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func (b *bundle) conversations(query string) []chatcenter.Conversation {
	b.t.Helper()
	var l list[chatcenter.Conversation]
	b.do("GET", "/api/v1/conversations"+query, "", nil, http.StatusOK, &l)
	return l.Items
}

func (b *bundle) waitOpenConversation() chatcenter.Conversation {
	b.t.Helper()
	var conv chatcenter.Conversation
	b.eventually("an open conversation", func() bool {
		items := b.conversations("?status=open")
		if len(items) == 1 {
			conv = items[0]
			return true
		}
		return false
	})
	return conv
}

func (b *bundle) messages(conversationID int64) []chatcenter.Message {
	b.t.Helper()
	var l list[chatcenter.Message]
	b.do("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", conversationID), "", nil, http.StatusOK, &l)
	return l.Items
}

func (b *bundle) message(id int64) chatcenter.Message {
	b.t.Helper()
	m, err := b.db.MessageGetByID(context.Background(), dbsqlc.MessageGetByIDParams{WorkspaceID: b.owner.WorkspaceID, ID: id})
	require.NoError(b.t, err)
	return db.ToMessage(m)
}

// searchAttributes returns the keyword search attributes of a contact's current run.
func (b *bundle) searchAttributes(contactID int64) map[string]string {
	b.t.Helper()
	desc, err := b.temporal.DescribeWorkflowExecution(context.Background(), workflows.ConversationWorkflowID(contactID), "")
	require.NoError(b.t, err)
	out := map[string]string{}
	for k, p := range desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields() {
		var s string
		if json.Unmarshal(p.GetData(), &s) == nil {
			out[k] = s
		}
	}
	return out
}

func (b *bundle) workflowStatus(contactID int64) enumspb.WorkflowExecutionStatus {
	b.t.Helper()
	desc, err := b.temporal.DescribeWorkflowExecution(context.Background(), workflows.ConversationWorkflowID(contactID), "")
	require.NoError(b.t, err)
	return desc.GetWorkflowExecutionInfo().GetStatus()
}

// fakeTelegram is an httptest Bot API: it checks the path carries the bot token, the method is
// POST with a JSON or multipart/form-data body (the Bot API's two ways of passing parameters, the
// second for uploading files), records each call and answers from a script (default: success).
type fakeTelegram struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	calls   []tgCall
	answers map[string][]tgAnswer
	nextID  int
	files   map[string][]byte // file_id → contents, for getFile and the file route
}

type tgCall struct {
	Method string
	// Body holds the parameters; from a form, a numeric chat_id and reply_markup are decoded from
	// JSON as the Bot API reads them, the others stay strings.
	Body map[string]any
	// Files are the uploaded files of a multipart call, by parameter name.
	Files map[string]tgFile
	At    time.Time
}

type tgFile struct {
	Name, Type string
	Data       []byte
}

type tgAnswer struct {
	Status int
	Body   string
	// Delay holds the answer back, as a slow Bot API would (Status 0: the usual answer).
	Delay time.Duration
}

func newFakeTelegram(t *testing.T) *fakeTelegram {
	f := &fakeTelegram{t: t, answers: map[string][]tgAnswer{}, nextID: 500, files: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTelegram) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/bot" + botToken + "/"
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/file"+prefix) {
		f.serveFile(w, strings.TrimPrefix(r.URL.Path, "/file"+prefix))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if !strings.HasPrefix(r.URL.Path, prefix) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, prefix)
	body, files, ok := readTelegramParams(r)
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"ok":false,"error_code":400,"description":"Bad Request: bad body"}`)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, tgCall{Method: method, Body: body, Files: files, At: time.Now()})
	var ans *tgAnswer
	if q := f.answers[method]; len(q) > 0 {
		ans = &q[0]
		f.answers[method] = q[1:]
	}
	f.nextID++
	id := f.nextID
	f.mu.Unlock()
	if ans != nil && ans.Delay > 0 {
		time.Sleep(ans.Delay)
	}
	if ans != nil && ans.Status != 0 {
		w.WriteHeader(ans.Status)
		_, _ = io.WriteString(w, ans.Body)
		return
	}
	switch method {
	case "getFile":
		f.mu.Lock()
		content, ok := f.files[fmt.Sprint(body["file_id"])]
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"result":{"file_id":%q,"file_unique_id":"u%d","file_size":%d,"file_path":"files/%s"}}`,
			body["file_id"], id, len(content), body["file_id"])
	case "sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendAudio", "sendVideo":
		chat, _ := json.Marshal(body["chat_id"])
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"chat":{"id":%s,"type":"private"},"date":1700000000}}`, id, chat)
	default:
		_, _ = io.WriteString(w, `{"ok":true,"result":true}`)
	}
}

// readTelegramParams reads a Bot API call's parameters from a JSON or multipart/form-data POST.
func readTelegramParams(r *http.Request) (map[string]any, map[string]tgFile, bool) {
	if r.Method != http.MethodPost {
		return nil, nil, false
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
		var body map[string]any
		return body, nil, json.NewDecoder(r.Body).Decode(&body) == nil && body != nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(64 << 20); err != nil {
			return nil, nil, false
		}
		body := map[string]any{}
		for k, vs := range r.MultipartForm.Value {
			if len(vs) != 1 {
				return nil, nil, false
			}
			body[k] = vs[0]
			var v any
			switch {
			case k == "reply_markup" && json.Unmarshal([]byte(vs[0]), &v) != nil:
				return nil, nil, false
			case k == "reply_markup", k == "chat_id" && json.Unmarshal([]byte(vs[0]), &v) == nil:
				body[k] = v // a numeric chat id; @channelusername stays a string
			}
		}
		files := map[string]tgFile{}
		for k, fhs := range r.MultipartForm.File {
			if len(fhs) != 1 {
				return nil, nil, false
			}
			rc, err := fhs[0].Open()
			if err != nil {
				return nil, nil, false
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			files[k] = tgFile{Name: fhs[0].Filename, Type: fhs[0].Header.Get("Content-Type"), Data: data}
		}
		return body, files, true
	}
	return nil, nil, false
}

// serveFile answers the Bot API's file route, /file/bot<token>/<file_path>, for the paths getFile
// gave out.
func (f *fakeTelegram) serveFile(w http.ResponseWriter, path string) {
	f.mu.Lock()
	content, ok := f.files[strings.TrimPrefix(path, "files/")]
	f.mu.Unlock()
	if !ok || !strings.HasPrefix(path, "files/") {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(content)
}

// addFile makes a file the fake holds, as if a contact had sent it, under fileID.
func (f *fakeTelegram) addFile(fileID string, content []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[fileID] = content
}

// script queues answers for a method, used before the default success.
func (f *fakeTelegram) script(method string, answers ...tgAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[method] = append(f.answers[method], answers...)
}

func (f *fakeTelegram) callsTo(method string) []tgCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []tgCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// textUpdate is a private-chat text message from chat 1111111, after Telegram's own sample.
func textUpdate(updateID, messageID int, text string) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"date":1441645532,"chat":{"last_name":"Test Lastname","id":1111111,"type":"private","first_name":"Test Firstname","username":"Testusername"},"message_id":%d,"from":{"last_name":"Test Lastname","id":1111111,"first_name":"Test Firstname","username":"Testusername","language_code":"en"},"text":%q}}`, updateID, messageID, text)
}
