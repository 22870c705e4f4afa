// Package db owns Chat Center's Postgres schema and access: embedded goose migrations, the pgx pool,
// transactions, and the translation of driver errors into domain errors. Queries live in
// ../queries and are generated into dbsqlc by sqlc; nothing else writes SQL.
package db

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the embedded migration files (for tools and tests that hash them).
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations")
	return sub
}

// defaultMaxConns is the pool size when the URL does not set one.
const defaultMaxConns = 20

// DB is the pool plus the generated queries bound to it.
type DB struct {
	Pool *pgxpool.Pool
	*dbsqlc.Queries
}

// Open connects to Postgres and checks the connection.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	// pgxpool's default (the number of CPUs, at least 4) queues concurrent webhooks behind a few
	// connections; ?pool_max_conns= in the URL overrides this.
	if !strings.Contains(databaseURL, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database %s: %w", Redact(databaseURL), err)
	}
	return &DB{Pool: pool, Queries: dbsqlc.New(pool)}, nil
}

// Close releases the pool.
func (d *DB) Close() { d.Pool.Close() }

// WithTx runs fn in a transaction, committing when fn returns nil and rolling back otherwise.
func (d *DB) WithTx(ctx context.Context, fn func(q *dbsqlc.Queries) error) error {
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(d.Queries.WithTx(tx)); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (d *DB) migrator() (*goose.Provider, func(), error) {
	sqlDB := stdlib.OpenDBFromPool(d.Pool)
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, Migrations())
	if err != nil {
		_ = sqlDB.Close()
		return nil, nil, fmt.Errorf("migrations: %w", err)
	}
	return p, func() { _ = sqlDB.Close() }, nil
}

// Migrate applies every pending migration.
func (d *DB) Migrate(ctx context.Context) error {
	p, done, err := d.migrator()
	if err != nil {
		return err
	}
	defer done()
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// MigrateDown rolls back the newest applied migration.
func (d *DB) MigrateDown(ctx context.Context) error {
	p, done, err := d.migrator()
	if err != nil {
		return err
	}
	defer done()
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// MigrationStatus describes each known migration, one line each.
func (d *DB) MigrationStatus(ctx context.Context) ([]string, error) {
	p, done, err := d.migrator()
	if err != nil {
		return nil, err
	}
	defer done()
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	lines := make([]string, 0, len(st))
	for _, s := range st {
		applied := "pending"
		if s.State == goose.StateApplied {
			applied = "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05")
		}
		lines = append(lines, fmt.Sprintf("%05d %-40s %s", s.Source.Version, s.Source.Path, applied))
	}
	return lines, nil
}

// EnsureDatabase creates the database named in databaseURL when it does not exist, connecting to
// the server's "postgres" database to do so. It lets `chatcenter dev` start on a bare local server.
func EnsureDatabase(ctx context.Context, databaseURL string) error {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	name := cfg.Database
	if name == "" || name == "postgres" {
		return nil
	}
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to postgres database: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created concurrently
			return nil
		}
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

// Redact hides the password of a database URL for logs.
func Redact(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil || u.User == nil {
		if strings.Contains(databaseURL, "password=") {
			return "(database url)"
		}
		return databaseURL
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Error translates driver errors into domain errors at the edge: no row becomes ErrNotFound,
// unique violations a conflict. Everything else passes through unchanged.
func Error(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return chatcenter.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return chatcenter.Errorf(chatcenter.ECONFLICT, "already exists")
		case "23503":
			return chatcenter.Errorf(chatcenter.EINVALID, "refers to something that does not exist")
		case "23514", "22001":
			return chatcenter.Errorf(chatcenter.EINVALID, "value out of range")
		}
	}
	return err
}

// IsUniqueViolation reports whether err is a violation of the unique index or constraint named
// constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == constraint
}

// IsNoRows reports whether err means the query matched nothing.
func IsNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
