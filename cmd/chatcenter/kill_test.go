//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/db/dbtest"
)

// TestDevLosesNothingWhenKilled runs the built binary as an install would, kills it with SIGKILL
// (no shutdown of any kind) right after it accepted work, starts it again on the same data dir and
// database, and checks that everything accepted before the kill is done exactly as if nothing had
// happened: every inbound message the provider got a 200 for is in its contact's one open
// conversation, provider redeliveries store nothing twice, and every reply accepted with 202
// reaches the provider and ends up sent.
func TestDevLosesNothingWhenKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	tg := newBotAPI(t, "1:kill")
	dbURL := dbtest.URL(t)
	vars := devVars(t, dbURL, "kill test password")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	count := func(sql string, args ...any) int {
		var n int
		require.NoError(t, conn.QueryRow(ctx, sql, args...).Scan(&n))
		return n
	}

	// First run: a channel, then a burst of customers' messages, killed as soon as the last one
	// is acknowledged — before the conversation workflows have processed them all.
	p := startBinary(t, bin, vars)
	token := p.login(t)
	var ch struct {
		ID int64 `json:"id"`
	}
	p.call(t, token, "POST", "/api/v1/channels", map[string]any{
		"type": "telegram", "name": "support",
		"config": map[string]string{"bot_token": "1:kill", "secret_token": "kill-secret", "api_base_url": tg.srv.URL},
	}, http.StatusCreated, &ch)

	const contacts, perContact = 12, 5
	update := func(i int) string {
		chat := 7000 + i%contacts
		return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1700000000,"text":"message %d",`+
			`"chat":{"id":%d,"type":"private","first_name":"C%d"},"from":{"id":%d,"first_name":"C%d"}}}`,
			100+i, 100+i, i, chat, chat, chat, chat)
	}
	deliver := func(p *process, from, to int) {
		var wg sync.WaitGroup
		errs := make(chan error, to-from)
		for i := from; i < to; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", fmt.Sprintf("%s/webhooks/telegram/%d", p.api, ch.ID), strings.NewReader(update(i)))
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "kill-secret")
				resp, err := apiClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("update %d: status %d", i, resp.StatusCode)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
	total := contacts * perContact
	deliver(p, 0, total)
	p.kill(t)
	t.Logf("killed with %d of %d accepted messages not yet in a conversation",
		count(`SELECT count(*) FROM messages WHERE conversation_id IS NULL`), total)

	// Second run: the workflows pick up where they were; Telegram redelivers some updates whose
	// 200 it may not have seen.
	p = startBinary(t, bin, vars)
	token = p.login(t)
	deliver(p, total-contacts, total)
	require.Eventually(t, func() bool {
		return count(`SELECT count(*) FROM messages WHERE direction = 'incoming' AND conversation_id IS NULL`) == 0
	}, 2*time.Minute, 200*time.Millisecond, "accepted messages never reached a conversation")
	require.Equal(t, total, count(`SELECT count(*) FROM messages WHERE direction = 'incoming'`), "one message per update")
	require.Equal(t, contacts, count(`SELECT count(*) FROM contacts`))
	require.Equal(t, contacts, count(`SELECT count(*) FROM conversations WHERE status = 'open'`), "one open conversation per contact")
	require.Equal(t, total, count(`SELECT coalesce(sum(incoming_count), 0)::int FROM conversations`), "each message counted once")

	var open struct {
		Items []struct {
			ID        int64 `json:"id"`
			ContactID int64 `json:"contact_id"`
		} `json:"items"`
	}
	p.call(t, token, "GET", "/api/v1/conversations?status=open&limit=50", nil, http.StatusOK, &open)
	require.Len(t, open.Items, contacts)

	// Replies accepted just before a kill are sent after the restart — also the one whose send
	// was in flight, its worker gone mid-call: the engine notices the missing heartbeats and
	// retries it within seconds, not after the attempt's whole timeout.
	held := tg.holdFirst("reply 0")
	for i, c := range open.Items[:4] {
		p.call(t, token, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", c.ID),
			map[string]any{"type": "text", "text": fmt.Sprintf("reply %d", i)}, http.StatusAccepted, nil)
	}
	select {
	case <-held:
	case <-time.After(time.Minute):
		t.Fatal("the first reply never reached Telegram")
	}
	p.kill(t)
	t.Logf("killed with %d of 4 accepted replies not yet sent", count(`SELECT count(*) FROM messages WHERE direction = 'outgoing' AND status <> 'sent'`))
	restarted := time.Now()
	p = startBinary(t, bin, vars)
	require.Eventually(t, func() bool {
		return count(`SELECT count(*) FROM messages WHERE direction = 'outgoing' AND status = 'sent'`) == 4
	}, 40*time.Second, 200*time.Millisecond, "replies accepted before the kill were not sent soon after the restart")
	t.Logf("all sent %s after the restart", time.Since(restarted).Round(100*time.Millisecond))
	for i := range 4 {
		require.NotEmpty(t, tg.sent(fmt.Sprintf("reply %d", i)), "reply %d never reached Telegram", i)
	}
	// Telegram has no idempotency key: the attempt cut off mid-call reached it, so the retry
	// sends that reply again (documented); nothing else is sent twice.
	require.Len(t, tg.sent("reply 0"), 2)
	p.stop(t)
}

// buildBinary builds chatcenter as an install would.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "chatcenter")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	return bin
}

// devVars is the environment of a `dev` run on its own database and data dir, on free ports.
func devVars(t *testing.T, dbURL, adminPassword string) []string {
	return []string{
		"DATABASE_URL=" + dbURL,
		"CHATCENTER_DATA_DIR=" + t.TempDir(),
		"CHATCENTER_HTTP_ADDR=127.0.0.1:0",
		"CHATCENTER_DEV_TEMPORAL_ADDR=127.0.0.1:0",
		"CHATCENTER_DEV_TEMPORAL_UI_ADDR=127.0.0.1:0",
		"CHATCENTER_ADMIN_PASSWORD=" + adminPassword,
		"CHATCENTER_LOG_LEVEL=error",
		"PUBLIC_URL=",
	}
}

// process is one run of the binary.
type process struct {
	cmd  *exec.Cmd
	api  string
	out  *syncBuffer
	done chan error
}

// apiClient bounds every call, so a hung process fails the test instead of stalling it.
var apiClient = &http.Client{Timeout: 30 * time.Second}

var apiLine = regexp.MustCompile(`API:\s+(http://\S+)`)

func startBinary(t *testing.T, bin string, vars []string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, "dev"), out: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), vars...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	require.NoError(t, p.cmd.Start())
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	require.Eventually(t, func() bool {
		m := apiLine.FindStringSubmatch(p.out.String())
		if m != nil {
			p.api = m[1]
		}
		return m != nil
	}, 2*time.Minute, 50*time.Millisecond, "dev did not start")
	return p
}

// kill ends the process the way a crash or an OOM kill would.
func (p *process) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	<-p.done
}

// stop ends the process as a service manager would, and expects a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.done:
		require.NoError(t, err, p.out.String())
	case <-time.After(time.Minute):
		t.Fatal("dev did not shut down on SIGTERM")
	}
}

func (p *process) login(t *testing.T) string {
	t.Helper()
	var tok struct {
		Token string `json:"token"`
	}
	p.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": "admin@example.com", "password": "kill test password"}, http.StatusOK, &tok)
	return tok.Token
}

func (p *process) call(t *testing.T, token, method, path string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.api+path, r)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := apiClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, want, resp.StatusCode, "%s %s: %s", method, path, b)
	if out != nil {
		require.NoError(t, json.Unmarshal(b, out))
	}
}

// botAPI plays Telegram's Bot API for sendMessage: it checks the bot token in the path and the
// JSON body as Telegram reads it, and answers with a sent message.
type botAPI struct {
	srv  *httptest.Server
	mu   sync.Mutex
	next int
	msgs []string
	hold map[string]chan struct{}
}

func newBotAPI(t *testing.T, botToken string) *botAPI {
	b := &botAPI{next: 900, hold: map[string]chan struct{}{}}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		var body struct {
			ChatID json.Number `json:"chat_id"`
			Text   string      `json:"text"`
		}
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if r.Method != http.MethodPost || r.URL.Path != "/bot"+botToken+"/sendMessage" ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") ||
			dec.Decode(&body) != nil || body.ChatID == "" || body.Text == "" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":400,"description":"Bad Request: unexpected call"}`)
			return
		}
		b.mu.Lock()
		b.next++
		id := b.next
		b.msgs = append(b.msgs, body.Text)
		held, ok := b.hold[body.Text]
		delete(b.hold, body.Text)
		b.mu.Unlock()
		if ok { // never answer: the caller is killed while it waits
			close(held)
			<-r.Context().Done()
			return
		}
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"chat":{"id":%s,"type":"private"},"date":1700000000,"text":%q}}`, id, body.ChatID, body.Text)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// holdFirst makes the first sendMessage carrying text hang without an answer until its caller goes
// away; the channel closes when that call arrives.
func (b *botAPI) holdFirst(text string) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch := make(chan struct{})
	b.hold[text] = ch
	return ch
}

// sent returns the sendMessage calls that carried text.
func (b *botAPI) sent(text string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.msgs {
		if m == text {
			out = append(out, m)
		}
	}
	return out
}
