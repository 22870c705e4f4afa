package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/chatcenterhq/chatcenter/api"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/devserver"
	"github.com/chatcenterhq/chatcenter/flowrun"
	"github.com/chatcenterhq/chatcenter/realtime"
	"github.com/chatcenterhq/chatcenter/secret"
	"github.com/chatcenterhq/chatcenter/storage"
	"github.com/chatcenterhq/chatcenter/worker"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// runDev starts everything in one process: Postgres (local or embedded), the embedded Temporal
// server and UI, the workers and the API.
func runDev(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	log := cfg.logger(stderr, true)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	d, closeDB, err := openDatabase(ctx, cfg, true, log)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := claimDataDir(ctx, d, cfg.DataDir); err != nil {
		return err
	}
	box, err := secretBox(cfg, true, log)
	if err != nil {
		return err
	}
	if err := bootstrap(ctx, d, cfg, stdout); err != nil {
		return err
	}
	ts, err := devserver.Start(ctx, devserver.Options{
		DataDir: cfg.DataDir, FrontendAddr: cfg.DevTemporalAddr, UIAddr: cfg.DevTemporalUIAddr,
		Namespace: "default", SearchAttributes: workflows.SearchAttributes(), Logger: log,
	})
	if err != nil {
		return fmt.Errorf("start embedded Temporal: %w", err)
	}
	defer func() { _ = ts.Stop() }()
	tc, err := ts.NewClient(client.Options{Logger: tlog.NewStructuredLogger(log)})
	if err != nil {
		return err
	}
	defer tc.Close()
	addr := cfg.HTTPAddr
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	apiURL := "http://" + ln.Addr().String()
	files, err := openFiles(cfg, true, log)
	if err != nil {
		return err
	}
	// The workers start once the API's address is known: attachments are links to it.
	acts, err := newActivities(d, box, log, cfg, true, apiURL)
	if err != nil {
		return err
	}
	acts.Files = files.store // one process: uploads to Telegram read the store directly
	workers, err := worker.Start(tc, acts)
	if err != nil {
		return err
	}
	defer workers.Stop()
	uiURL := ""
	if ts.UIAddr() != "" {
		uiURL = "http://" + ts.UIAddr()
	}
	// One realtime broker per process: its one listening connection feeds every event stream.
	events := realtime.New(d, log, realtime.Options{})
	if err := events.Start(ctx); err != nil {
		return err
	}
	defer events.Close()
	srv := &api.Server{DB: d, Temporal: tc, Box: box, Log: log, PublicURL: cfg.PublicURL, LocalURL: apiURL,
		TemporalUIURL: uiURL, TokenTTL: cfg.TokenTTL, Storage: files.store, MaxUpload: files.maxUpload, FileLinkKey: files.linkKey,
		Events: events, TrustedProxies: cfg.TrustedProxies, Flows: &flowrun.Enroller{DB: d, Temporal: tc, Log: log}}
	if srv.Mailer, err = openMailer(cfg, log); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nChat Center is running.\n  API:         %s  (log in: POST %s/api/v1/auth/login as %s)\n  Temporal UI: %s\n  Temporal:    %s (namespace default)\n  Data dir:    %s\nPress Ctrl+C to stop.\n",
		apiURL, apiURL, cfg.AdminEmail, uiURL, ts.FrontendAddr(), cfg.DataDir)
	return serveHTTP(ctx, ln, srv.Handler(), log)
}

// deps are what serve and worker share: a migrated database, the sealing key and a Temporal client.
type deps struct {
	log *slog.Logger
	db  *db.DB
	box *secret.Box
	tc  client.Client
}

func openDeps(ctx context.Context, cfg config, stderr io.Writer) (*deps, func(), error) {
	log := cfg.logger(stderr, false)
	d, closeDB, err := openDatabase(ctx, cfg, false, log)
	if err != nil {
		return nil, nil, err
	}
	box, err := secretBox(cfg, false, log)
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	tc, err := dialTemporal(cfg, log)
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	return &deps{log: log, db: d, box: box, tc: tc}, func() { tc.Close(); closeDB() }, nil
}

// runServe runs the stateless API process.
func runServe(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	dp, done, err := openDeps(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer done()
	if err := bootstrap(ctx, dp.db, cfg, stdout); err != nil {
		return err
	}
	addr := cfg.HTTPAddr
	if addr == "" {
		addr = ":8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	local := "http://" + ln.Addr().String()
	if strings.HasPrefix(addr, ":") {
		local = "http://127.0.0.1" + addr
	}
	events := realtime.New(dp.db, dp.log, realtime.Options{})
	if err := events.Start(ctx); err != nil {
		return err
	}
	defer events.Close()
	files, err := openFiles(cfg, false, dp.log)
	if err != nil {
		return err
	}
	srv := &api.Server{DB: dp.db, Temporal: dp.tc, Box: dp.box, Log: dp.log, PublicURL: cfg.PublicURL, LocalURL: local, TokenTTL: cfg.TokenTTL,
		Storage: files.store, MaxUpload: files.maxUpload, FileLinkKey: files.linkKey, Events: events, TrustedProxies: cfg.TrustedProxies,
		Flows: &flowrun.Enroller{DB: dp.db, Temporal: dp.tc, Log: dp.log}}
	if srv.Mailer, err = openMailer(cfg, dp.log); err != nil {
		return err
	}
	dp.log.Info("API listening", "addr", ln.Addr().String())
	return serveHTTP(ctx, ln, srv.Handler(), dp.log)
}

// runWorker runs the Temporal workers until interrupted.
func runWorker(ctx context.Context, cfg config, stderr io.Writer) error {
	dp, done, err := openDeps(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer done()
	// Without PUBLIC_URL, attachments link to the API on this host (CHATCENTER_HTTP_ADDR).
	local := cfg.HTTPAddr
	if local == "" {
		local = ":8080"
	}
	if strings.HasPrefix(local, ":") {
		local = "127.0.0.1" + local
	}
	acts, err := newActivities(dp.db, dp.box, dp.log, cfg, false, "http://"+local)
	if err != nil {
		return err
	}
	// A worker that shares the API's files directory reads uploads from it; otherwise adapters
	// that upload files (Telegram) download them through the same signed links providers use.
	if cfg.FilesDir != "" {
		if acts.Files, err = storage.NewLocal(cfg.FilesDir); err != nil {
			return err
		}
	}
	workers, err := worker.Start(dp.tc, acts)
	if err != nil {
		return err
	}
	dp.log.Info("workers running", "namespace", cfg.TemporalNamespace, "task_queue", workflows.TaskQueue)
	<-ctx.Done()
	dp.log.Info("stopping workers")
	workers.Stop()
	return nil
}

// runMigrate manages the schema explicitly (serve and dev also migrate up at start).
func runMigrate(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if cfg.DatabaseURL == "" {
		return fmt.Errorf("DATABASE_URL is required")
	}
	if len(args) != 1 {
		return fmt.Errorf("usage: chatcenter migrate up|down|status")
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	switch args[0] {
	case "up":
		if err := d.Migrate(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "migrated up")
	case "down":
		if err := d.MigrateDown(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "rolled back one migration")
	case "status":
		lines, err := d.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, l := range lines {
			fmt.Fprintln(stdout, l)
		}
	default:
		return fmt.Errorf("usage: chatcenter migrate up|down|status")
	}
	return nil
}
