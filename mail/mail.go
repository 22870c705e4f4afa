// Package mail sends Chat Center's own e-mails (invitations, password resets) through an SMTP
// server configured by one URL: smtp://user:pass@host:port (STARTTLS when the server offers it)
// or smtps://user:pass@host:port (TLS from the first byte).
package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// sendTimeout bounds one delivery: connecting, authenticating and handing over the message.
const sendTimeout = 30 * time.Second

// Message is a plain-text e-mail to one recipient.
type Message struct {
	To      string
	Subject string
	Text    string
}

// Mailer delivers messages to one SMTP server. It is safe for concurrent use: every Send opens
// its own connection.
type Mailer struct {
	host     string
	opts     []gomail.Option
	from     string
	redacted string
}

// New parses an SMTP URL and the sender address. from may be empty when the URL's user name is an
// e-mail address, which is then used.
func New(smtpURL, from string) (*Mailer, error) {
	u, err := url.Parse(smtpURL)
	if err != nil {
		return nil, errors.New("SMTP_URL is not a URL")
	}
	m := &Mailer{host: u.Hostname(), redacted: Redact(smtpURL)}
	if m.host == "" {
		return nil, fmt.Errorf("SMTP_URL %s has no host", m.redacted)
	}
	port := 587
	switch u.Scheme {
	case "smtp":
		// Encrypt whenever the server offers STARTTLS; local catchers (Mailpit, MailHog) do not.
		m.opts = append(m.opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		port = 465
		m.opts = append(m.opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		return nil, fmt.Errorf("SMTP_URL %s: scheme must be smtp or smtps", m.redacted)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("SMTP_URL %s: bad port", m.redacted)
		}
	}
	m.opts = append(m.opts, gomail.WithPort(port), gomail.WithTimeout(sendTimeout))
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		// Strongest mechanism the server offers; PLAIN and LOGIN only over TLS or to localhost
		// (go-mail refuses to send a password in clear text anywhere else).
		m.opts = append(m.opts, gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	}
	if from == "" && u.User != nil && strings.Contains(u.User.Username(), "@") {
		from = u.User.Username()
	}
	if from == "" {
		return nil, errors.New("SMTP_FROM is required (the sender address of Chat Center's e-mails)")
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("SMTP_FROM %q is not an e-mail address", from)
	}
	m.from = from
	return m, nil
}

// String describes the server without its password, for logs.
func (m *Mailer) String() string { return m.redacted }

// Send delivers msg.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	e := gomail.NewMsg()
	if err := e.From(m.from); err != nil {
		return fmt.Errorf("sender: %w", err)
	}
	if err := e.To(msg.To); err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	e.Subject(msg.Subject)
	e.SetDate()
	e.SetMessageID()
	e.SetBodyString(gomail.TypeTextPlain, msg.Text)
	c, err := gomail.NewClient(m.host, m.opts...)
	if err != nil {
		return fmt.Errorf("smtp client for %s: %w", m.redacted, err)
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, e); err != nil {
		return fmt.Errorf("send mail via %s: %w", m.redacted, err)
	}
	return nil
}

// Redact hides the password of an SMTP URL.
func Redact(smtpURL string) string {
	u, err := url.Parse(smtpURL)
	if err != nil {
		return "(smtp url)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Invitation is the e-mail inviting someone to a workspace.
func Invitation(to, workspace, inviter, link string, expires time.Time) Message {
	return Message{
		To:      to,
		Subject: fmt.Sprintf("You are invited to %s on Chat Center", workspace),
		Text: fmt.Sprintf("Hello,\n\n%s invited you to join the workspace %q on Chat Center.\n\n"+
			"Accept the invitation and choose your password here:\n\n%s\n\n"+
			"The link works once and expires on %s.\n\nIf you did not expect this, ignore this e-mail.\n",
			inviter, workspace, link, expires.UTC().Format("2 January 2006 at 15:04 MST")),
	}
}

// PasswordReset is the e-mail with a password reset link.
func PasswordReset(to, link string, expires time.Time) Message {
	return Message{
		To:      to,
		Subject: "Reset your Chat Center password",
		Text: fmt.Sprintf("Hello,\n\nSomeone asked to reset the password of your Chat Center account. "+
			"Choose a new password here:\n\n%s\n\nThe link works once and expires at %s. "+
			"If you did not ask for this, ignore this e-mail: your password stays as it is.\n",
			link, expires.UTC().Format("15:04 MST on 2 January 2006")),
	}
}
