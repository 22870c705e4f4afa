// Command chatcenter is Chat Center's single binary: dev (everything embedded in one process),
// serve (API), worker (Temporal workers), migrate and version.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "chatcenter:", err)
		os.Exit(1)
	}
}

const usage = `usage: chatcenter <command>

commands:
  dev                 run everything in one process: embedded Temporal server and UI, worker, API
  serve               run the API against TEMPORAL_ADDRESS and DATABASE_URL
  worker              run the Temporal workers against TEMPORAL_ADDRESS and DATABASE_URL
  migrate up|down|status
                      manage the database schema
  version             print the version
`

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

// run is main without the process: tests call it with their own arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	cfg := loadConfig(getenv)
	switch args[0] {
	case "dev":
		return runDev(ctx, cfg, stdout, stderr)
	case "serve":
		return runServe(ctx, cfg, stdout, stderr)
	case "worker":
		return runWorker(ctx, cfg, stderr)
	case "migrate":
		return runMigrate(ctx, cfg, args[1:], stdout)
	case "version":
		fmt.Fprintln(stdout, "chatcenter", Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
