package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/chatcenterhq/chatcenter/flowhttp"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/chatcenterhq/chatcenter/activities"
	"github.com/chatcenterhq/chatcenter/api"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/mail"
	"github.com/chatcenterhq/chatcenter/secret"
	"github.com/chatcenterhq/chatcenter/storage"
)

// openDatabase connects and migrates. In dev it falls back from DATABASE_URL to the local server
// (creating the database) and then to an embedded Postgres under the data dir.
func openDatabase(ctx context.Context, cfg config, dev bool, log *slog.Logger) (*db.DB, func(), error) {
	if cfg.DatabaseURL != "" || !dev {
		if cfg.DatabaseURL == "" {
			return nil, nil, errors.New("DATABASE_URL is required")
		}
		if dev {
			if err := db.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
				return nil, nil, err
			}
		}
		d, err := db.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, nil, err
		}
		return d, d.Close, migrate(ctx, d, log)
	}
	local := "postgres://postgres@127.0.0.1:5432/chatcenter?sslmode=disable"
	if err := db.EnsureDatabase(ctx, local); err == nil {
		d, err := db.Open(ctx, local)
		if err == nil {
			log.Info("using the local Postgres server", "url", local)
			return d, d.Close, migrate(ctx, d, log)
		}
	} else {
		log.Info("no local Postgres on 127.0.0.1:5432; starting an embedded one", "reason", err)
	}
	pgDir := filepath.Join(cfg.DataDir, "postgres")
	pg := embeddedpostgres.NewDatabase(embeddedpostgres.DefaultConfig().
		Port(5439).Database("chatcenter").
		DataPath(filepath.Join(pgDir, "data")).RuntimePath(filepath.Join(pgDir, "runtime")).
		BinariesPath(filepath.Join(pgDir, "bin")).CachePath(filepath.Join(pgDir, "cache")).
		Logger(io.Discard).StartTimeout(2 * time.Minute))
	if err := pg.Start(); err != nil {
		return nil, nil, fmt.Errorf("start embedded postgres: %w", err)
	}
	u := "postgres://postgres:postgres@127.0.0.1:5439/chatcenter?sslmode=disable"
	d, err := db.Open(ctx, u)
	if err != nil {
		_ = pg.Stop()
		return nil, nil, err
	}
	cleanup := func() { d.Close(); _ = pg.Stop() }
	log.Info("using embedded Postgres", "dir", pgDir)
	return d, cleanup, migrate(ctx, d, log)
}

func migrate(ctx context.Context, d *db.DB, log *slog.Logger) error {
	if err := d.Migrate(ctx); err != nil {
		return err
	}
	log.Debug("database schema is up to date")
	return nil
}

// secretBox loads the key that seals channel secrets.
func secretBox(cfg config, dev bool, log *slog.Logger) (*secret.Box, error) {
	key, err := secretKey(cfg, dev, log)
	if err != nil {
		return nil, err
	}
	return secret.NewBox(key)
}

// secretKey reads CHATCENTER_SECRET_KEY. dev keeps a generated key in the data dir so that a
// restart can still read the channels it stored.
func secretKey(cfg config, dev bool, log *slog.Logger) ([]byte, error) {
	keyText := cfg.SecretKey
	if keyText == "" {
		if !dev {
			return nil, errors.New("CHATCENTER_SECRET_KEY is required (32 bytes as 64 hex characters; generate one with `openssl rand -hex 32`)")
		}
		path := filepath.Join(cfg.DataDir, "secret.key")
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			keyText = secret.NewKey()
			if err := os.WriteFile(path, []byte(keyText+"\n"), 0o600); err != nil {
				return nil, fmt.Errorf("write %s: %w", path, err)
			}
			log.Info("generated a secret key for channel configuration", "path", path)
		} else if err != nil {
			return nil, err
		} else {
			keyText = string(b)
		}
	}
	key, err := secret.ParseKey(keyText)
	if err != nil {
		return nil, fmt.Errorf("CHATCENTER_SECRET_KEY: %w", err)
	}
	return key, nil
}

// fileDeps are what uploads and attachment links need: the store, the upload limit and the key
// that signs the links providers fetch attachments through (derived from the secret key, so the
// API and the workers agree on it without another setting).
type fileDeps struct {
	store     *storage.Local
	maxUpload int64
	linkKey   []byte
}

// openFiles opens the file store (only the API reads and writes it) and derives the link key.
func openFiles(cfg config, dev bool, log *slog.Logger) (fileDeps, error) {
	key, err := secretKey(cfg, dev, log)
	if err != nil {
		return fileDeps{}, err
	}
	linkKey, err := storage.DeriveLinkKey(key)
	if err != nil {
		return fileDeps{}, err
	}
	store, err := storage.NewLocal(cfg.filesDir(dev))
	if err != nil {
		return fileDeps{}, err
	}
	log.Debug("file storage", "dir", store.Dir(), "max_upload_bytes", cfg.MaxUpload)
	return fileDeps{store: store, maxUpload: cfg.MaxUpload, linkKey: linkKey}, nil
}

// newActivities builds the activities with the address providers fetch attachments from.
func newActivities(d *db.DB, box *secret.Box, log *slog.Logger, cfg config, dev bool, localURL string) (*activities.Activities, error) {
	key, err := secretKey(cfg, dev, log)
	if err != nil {
		return nil, err
	}
	linkKey, err := storage.DeriveLinkKey(key)
	if err != nil {
		return nil, err
	}
	a := activities.New(d, box, log)
	a.BaseURL, a.FileLinkKey = cfg.PublicURL, linkKey
	allow := make([]netip.Prefix, 0, len(cfg.FlowHTTPAllow))
	for _, s := range cfg.FlowHTTPAllow {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("CHATCENTER_FLOW_HTTP_ALLOW: %q is not a CIDR range (10.1.0.0/16)", s)
		}
		allow = append(allow, p)
	}
	a.FlowHTTPClient = flowhttp.NewClient(allow, 0)
	if a.BaseURL == "" {
		a.BaseURL = localURL
	}
	return a, nil
}

// dialTemporal connects to a Temporal cluster for serve and worker.
func dialTemporal(cfg config, log *slog.Logger) (client.Client, error) {
	opts := client.Options{HostPort: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace, Logger: tlog.NewStructuredLogger(log)}
	if cfg.TemporalTLS || cfg.TemporalAPIKey != "" {
		opts.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	c, err := client.Dial(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}

// serveHTTP runs the API until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down the API")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

func bootstrap(ctx context.Context, d *db.DB, cfg config, out io.Writer) error {
	res, err := api.Bootstrap(ctx, d, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return err
	}
	if res.Created {
		fmt.Fprintf(out, "\nCreated the first workspace and its owner: %s\n", res.Email)
		if res.Password != "" {
			fmt.Fprintf(out, "Generated password (shown once): %s\n", res.Password)
		}
	}
	return nil
}

// openMailer connects invitations and password resets to SMTP when SMTP_URL is set; without it
// links are returned to admins or logged.
func openMailer(cfg config, log *slog.Logger) (*mail.Mailer, error) {
	if cfg.SMTPURL == "" {
		return nil, nil
	}
	m, err := mail.New(cfg.SMTPURL, cfg.SMTPFrom)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	log.Info("e-mail enabled", "smtp", m.String())
	return m, nil
}
