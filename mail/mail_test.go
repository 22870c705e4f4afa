package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

func TestNewParsesURL(t *testing.T) {
	for _, tc := range []struct {
		url, from, wantErr string
	}{
		{"smtp://user:pw@mail.example.com:2525", "noreply@example.com", ""},
		{"smtps://user:pw@mail.example.com", "Chat Center <noreply@example.com>", ""},
		{"smtp://alerts@example.com:pw@mail.example.com", "", ""},
		{"smtp://mail.example.com", "", "SMTP_FROM is required"},
		{"smtp://user:pw@mail.example.com", "not an address", "is not an e-mail address"},
		{"http://mail.example.com", "a@example.com", "scheme must be smtp or smtps"},
		{"smtp://:25", "a@example.com", "has no host"},
		{"smtp://mail.example.com:port", "a@example.com", "not a URL"},
	} {
		m, err := New(tc.url, tc.from)
		if tc.wantErr == "" {
			require.NoError(t, err, tc.url)
			require.NotContains(t, m.String(), ":pw@", "the password never shows")
			continue
		}
		require.ErrorContains(t, err, tc.wantErr, tc.url)
		require.NotContains(t, err.Error(), "pw@", "the password never shows in errors")
	}
}

func TestRedact(t *testing.T) {
	require.Equal(t, "smtp://user:xxxxx@host:25", Redact("smtp://user:secret@host:25"))
	require.Equal(t, "smtp://host:25", Redact("smtp://host:25"))
}

// testServer is an in-process SMTP server; with user set it requires PLAIN authentication.
type testServer struct {
	addr       string
	user, pass string
	mu         sync.Mutex
	got        []testMail
}

type testMail struct {
	from string
	to   []string
	data []byte
}

func startServer(t *testing.T, user, pass string) *testServer {
	ts := &testServer{user: user, pass: pass}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &testSession{srv: ts}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ts
}

type testSession struct {
	srv    *testServer
	authed bool
	cur    testMail
}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.user || pass != s.srv.pass {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *testSession) Reset()        { s.cur = testMail{} }
func (s *testSession) Logout() error { return nil }

func body(t *testing.T, data []byte) (netmail.Header, string) {
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	require.NoError(t, err)
	raw, err := io.ReadAll(msg.Body)
	require.NoError(t, err)
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		raw, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		require.NoError(t, err)
	}
	return msg.Header, string(raw)
}

func TestSendWithAuthentication(t *testing.T) {
	ts := startServer(t, "mailer", "s3cret")
	m, err := New("smtp://mailer:s3cret@"+ts.addr, "Chat Center <noreply@example.com>")
	require.NoError(t, err)
	link := "https://chat.example.com/accept-invitation?token=" + strings.Repeat("Ab_-", 11)
	exp := time.Date(2030, 1, 2, 15, 4, 0, 0, time.UTC)
	require.NoError(t, m.Send(context.Background(), Invitation("ana@example.com", "Acme", "Olga", link, exp)))

	require.Len(t, ts.got, 1)
	require.Equal(t, "noreply@example.com", ts.got[0].from)
	require.Equal(t, []string{"ana@example.com"}, ts.got[0].to)
	h, text := body(t, ts.got[0].data)
	require.Equal(t, "<ana@example.com>", h.Get("To"))
	require.Contains(t, h.Get("From"), "noreply@example.com")
	require.Equal(t, "You are invited to Acme on Chat Center", h.Get("Subject"))
	require.Contains(t, text, link, "the link survives encoding intact")
	require.Contains(t, text, "Olga invited you")
	require.Contains(t, text, "2 January 2030")
}

func TestSendFailures(t *testing.T) {
	ts := startServer(t, "mailer", "s3cret")
	m, err := New("smtp://mailer:wrong@"+ts.addr, "noreply@example.com")
	require.NoError(t, err)
	err = m.Send(context.Background(), PasswordReset("ana@example.com", "https://x/reset-password?token=t", time.Now()))
	require.Error(t, err)
	require.NotContains(t, err.Error(), "wrong", "the password never shows in errors")
	require.Empty(t, ts.got)

	// Nothing listening: an error, quickly.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	m, err = New("smtp://"+addr, "noreply@example.com")
	require.NoError(t, err)
	require.Error(t, m.Send(context.Background(), PasswordReset("ana@example.com", "https://x", time.Now())))
}

func TestSendWithoutAuthentication(t *testing.T) {
	ts := startServer(t, "", "")
	m, err := New("smtp://"+ts.addr, "noreply@example.com")
	require.NoError(t, err)
	require.NoError(t, m.Send(context.Background(), PasswordReset("ana@example.com", "https://x/reset-password?token=abc", time.Now())))
	require.Len(t, ts.got, 1)
	h, text := body(t, ts.got[0].data)
	require.Equal(t, "Reset your Chat Center password", h.Get("Subject"))
	require.Contains(t, text, "https://x/reset-password?token=abc")
}
