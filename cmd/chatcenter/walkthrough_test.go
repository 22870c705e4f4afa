//go:build unix

package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/db/dbtest"
)

// TestReadmeWalkthrough runs the README's five-minute walkthrough as a reader would: the built
// binary started with the README's variables on a fresh database, and each shell block of the
// walkthrough run with bash, curl and jq exactly as written (only the API address is the test's).
// It checks what the README says each block does. The Bot API the walkthrough's made-up token
// reaches is played by a fake api.telegram.org behind an HTTPS proxy, so nothing leaves the
// machine and the reply fails the way the README says Telegram makes it fail.
func TestReadmeWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, tool := range []string{"bash", "curl", "jq"} {
		_, err := exec.LookPath(tool)
		require.NoError(t, err, "the walkthrough needs %s (.ci/run installs it)", tool)
	}
	blocks := walkthroughBlocks(t, "../../README.md")
	require.GreaterOrEqual(t, len(blocks), 7, "walkthrough blocks")
	start, login, createChannel, deliver, inbox, reply, lifecycle := blocks[0], blocks[1], blocks[2], blocks[3], blocks[4], blocks[5], blocks[6]

	m := regexp.MustCompile(`^CHATCENTER_ADMIN_PASSWORD='([^']+)' go run \./cmd/chatcenter dev$`).FindStringSubmatch(strings.TrimSpace(start))
	require.NotNil(t, m, "first block starts dev with a known password: %q", start)
	tg := newTelegramBehindProxy(t)
	p := startBinary(t, buildBinary(t), append(devVars(t, dbtest.URL(t), m[1]), tg.env...))
	defer p.stop(t)

	const readmeAPI = "API=http://127.0.0.1:8080"
	require.Contains(t, login, readmeAPI)
	login = strings.Replace(login, readmeAPI, "API="+p.api, 1)
	token := strings.TrimSpace(runShell(t, login+"\nprintf '%s' \"$TOKEN\"\n"))
	require.NotEmpty(t, token)
	require.NotEqual(t, "null", token, "login gave no token")
	sh := func(block string) string {
		return runShell(t, fmt.Sprintf("API=%s\nTOKEN=%s\n%s", p.api, token, block))
	}

	// Connect a Telegram bot: id and webhook URL back, tokens never.
	out := sh(createChannel)
	var ch struct {
		ID         int64           `json:"id"`
		Type       string          `json:"type"`
		WebhookURL string          `json:"webhook_url"`
		Config     json.RawMessage `json:"config"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &ch), out)
	require.Equal(t, int64(1), ch.ID)
	require.Equal(t, "telegram", ch.Type)
	require.Equal(t, p.api+"/webhooks/telegram/1", ch.WebhookURL)
	require.JSONEq(t, `{"api_base_url":"https://api.telegram.org"}`, string(ch.Config))
	require.NotContains(t, out, "ABC-your-bot-token")
	require.NotContains(t, out, "my-webhook-secret")

	// A customer's message: 200 {"ok":true}, then an open conversation with a new contact.
	require.JSONEq(t, `{"ok":true}`, sh(deliver))
	var convs struct {
		Items []struct {
			ID         int64   `json:"id"`
			ContactID  int64   `json:"contact_id"`
			Status     string  `json:"status"`
			AssigneeID *int64  `json:"assignee_id"`
			Category   *string `json:"category"`
		} `json:"items"`
	}
	// openConversation waits for the one open conversation, which must be id's, with contact 1.
	openConversation := func(id int64, msg string) {
		t.Helper()
		require.Eventually(t, func() bool {
			p.call(t, token, "GET", "/api/v1/conversations?status=open", nil, http.StatusOK, &convs)
			return len(convs.Items) == 1 && convs.Items[0].ID == id
		}, time.Minute, 100*time.Millisecond, msg)
		require.Equal(t, int64(1), convs.Items[0].ContactID)
	}
	openConversation(1, "the delivered message opened no conversation")

	out = sh(inbox)
	require.Regexp(t, `"status": "open"`, out)
	require.Contains(t, out, `"Hi, where is my order?"`)
	require.Contains(t, out, `"first_name": "Ana"`)
	require.Contains(t, out, `"last_name": "Silva"`)

	// Reply: 202 with the message pending; Telegram refuses the made-up token and the message
	// ends failed with its reason, and replying assigned the conversation to the replier.
	out = sh(reply)
	dec := json.NewDecoder(strings.NewReader(out))
	var sent struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	var status string
	require.NoError(t, dec.Decode(&sent), out)
	require.NoError(t, dec.Decode(&status), out)
	require.Equal(t, "pending", sent.Status)
	require.Contains(t, []string{"pending", "sent", "failed"}, status)
	var msgs struct {
		Items []struct {
			ID     int64   `json:"id"`
			Status string  `json:"status"`
			Error  *string `json:"error"`
		} `json:"items"`
	}
	require.Eventually(t, func() bool {
		p.call(t, token, "GET", "/api/v1/conversations/1/messages", nil, http.StatusOK, &msgs)
		return msgs.Items[0].ID == sent.ID && msgs.Items[0].Status == "failed"
	}, time.Minute, 100*time.Millisecond, "the reply did not fail")
	require.NotNil(t, msgs.Items[0].Error)
	require.Contains(t, *msgs.Items[0].Error, "Unauthorized")
	calls := tg.calls()
	require.Len(t, calls, 1, "a refused token is not retried")
	require.True(t, strings.HasPrefix(calls[0], "/bot123456:ABC-your-bot-token/sendMessage "), calls[0])
	require.Contains(t, calls[0], `"chat_id":1111111`)
	require.Contains(t, calls[0], `"text":"Hi Ana, let me check."`)
	var conv struct {
		Status     string  `json:"status"`
		AssigneeID *int64  `json:"assignee_id"`
		Category   *string `json:"category"`
		Summary    *string `json:"summary"`
	}
	p.call(t, token, "GET", "/api/v1/conversations/1", nil, http.StatusOK, &conv)
	require.NotNil(t, conv.AssigneeID)
	require.Equal(t, int64(1), *conv.AssigneeID)

	// Assign, unassign, close with a closing note: three answers without an error.
	out = sh(lifecycle)
	require.NotContains(t, out, `"error"`)
	require.Eventually(t, func() bool {
		p.call(t, token, "GET", "/api/v1/conversations/1", nil, http.StatusOK, &conv)
		return conv.Status == "closed"
	}, time.Minute, 100*time.Millisecond)
	require.Nil(t, conv.AssigneeID)
	require.Equal(t, "Resolved", *conv.Category)
	require.Equal(t, "Order tracking sent", *conv.Summary)

	// "Deliver another update (change update_id and message_id) and a second conversation opens
	// for the same contact."
	require.Contains(t, deliver, `"update_id": 10000`)
	require.Contains(t, deliver, `"message_id": 1365`)
	again := strings.NewReplacer(`"update_id": 10000`, `"update_id": 10001`, `"message_id": 1365`, `"message_id": 1366`).Replace(deliver)
	require.JSONEq(t, `{"ok":true}`, sh(again))
	openConversation(2, "the second message opened no conversation")

	// The Temporal UI finds the run by the README's filter, with its summary.
	ui := regexp.MustCompile(`Temporal UI:\s+(http://\S+)`).FindStringSubmatch(p.out.String())
	require.NotNil(t, ui, p.out.String())
	var list struct {
		Executions []struct {
			Execution struct {
				WorkflowID string `json:"workflowId"`
			} `json:"execution"`
			Status string `json:"status"`
		} `json:"executions"`
	}
	query := url.Values{"query": {`WorkspaceId="1" AND ConversationStatus="open"`}}
	require.Eventually(t, func() bool {
		list.Executions = nil
		getJSON(t, ui[1]+"/api/v1/namespaces/default/workflows?"+query.Encode(), &list)
		return len(list.Executions) == 1
	}, time.Minute, 200*time.Millisecond, "the UI does not list the open conversation's run")
	require.Equal(t, "conversation-1", list.Executions[0].Execution.WorkflowID)
	var described struct {
		ExecutionConfig struct {
			UserMetadata struct {
				Summary struct {
					Data []byte `json:"data"` // a JSON payload, base64 on the wire
				} `json:"summary"`
			} `json:"userMetadata"`
		} `json:"executionConfig"`
	}
	getJSON(t, ui[1]+"/api/v1/namespaces/default/workflows/conversation-1", &described)
	var summary string
	require.NoError(t, json.Unmarshal(described.ExecutionConfig.UserMetadata.Summary.Data, &summary))
	require.Equal(t, "Conversation with contact 1 (workspace 1)", summary)
}

// walkthroughBlocks returns the shell blocks of the README's "Five-minute walkthrough" section.
func walkthroughBlocks(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(raw), "\n## Five-minute walkthrough\n")
	require.True(t, ok, "README has no walkthrough section")
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks []string
	var cur *strings.Builder
	sc := bufio.NewScanner(strings.NewReader(section))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && line == "```sh":
			cur = &strings.Builder{}
		case cur != nil && line == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	require.Nil(t, cur, "unterminated block")
	return blocks
}

// runShell runs script with bash, failing on the first failing command, and returns its output.
func runShell(t *testing.T, script string) string {
	t.Helper()
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), "HTTPS_PROXY=", "https_proxy=", "HTTP_PROXY=", "http_proxy=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", script, out)
	return string(out)
}

func getJSON(t *testing.T, u string, out any) {
	t.Helper()
	resp, err := apiClient.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", u, b)
	require.NoError(t, json.Unmarshal(b, out), string(b))
}

// telegramBehindProxy plays api.telegram.org for a bot token that does not exist: the process
// reaches it through HTTPS_PROXY (CONNECT), trusting the fake's certificate through SSL_CERT_FILE,
// and every Bot API call is answered as Telegram answers an unknown token: 401 Unauthorized.
type telegramBehindProxy struct {
	env []string
	mu  sync.Mutex
	log []string
}

func newTelegramBehindProxy(t *testing.T) *telegramBehindProxy {
	cert, pemCert := selfSignedCert(t, "api.telegram.org")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pemCert, 0o600))
	tg := &telegramBehindProxy{}
	api := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		tg.mu.Lock()
		tg.log = append(tg.log, r.URL.Path+" "+string(body))
		tg.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
	}), TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	tunnels := &connListener{conns: make(chan net.Conn), done: make(chan struct{})}
	go func() { _ = api.ServeTLS(tunnels, "", "") }()
	proxy := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect || r.Host != "api.telegram.org:443" {
			http.Error(w, "this proxy only reaches api.telegram.org", http.StatusForbidden)
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
		select {
		case tunnels.conns <- conn:
		case <-tunnels.done:
			conn.Close()
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = proxy.Serve(ln) }()
	t.Cleanup(func() {
		_ = proxy.Close()
		_ = api.Close()
	})
	proxyURL := "http://" + ln.Addr().String()
	tg.env = []string{"HTTPS_PROXY=" + proxyURL, "https_proxy=" + proxyURL, "SSL_CERT_FILE=" + caFile, "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost"}
	return tg
}

func (tg *telegramBehindProxy) calls() []string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]string(nil), tg.log...)
}

// connListener hands the proxy's tunnels to an http.Server as if they were accepted connections.
type connListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// selfSignedCert makes a certificate for host that is its own authority.
func selfSignedCert(t *testing.T, host string) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
