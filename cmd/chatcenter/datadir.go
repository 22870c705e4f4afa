package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/chatcenterhq/chatcenter/db"
)

// installationFile, in the data dir, names the database the dev engine's state belongs to.
const installationFile = "installation"

// claimDataDir pairs the data dir with the database, or refuses a data dir paired with another
// one. The engine's state there is only meaningful with its own database: workflows are named
// after contact ids, and a fresh database's contact 1 would be signalled into the old database's
// conversation with contact 1, whose rows do not exist here. A data dir from before the pairing
// existed is adopted.
func claimDataDir(ctx context.Context, d *db.DB, dir string) error {
	id, err := d.Installation(ctx)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, installationFile)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
			return fmt.Errorf("record the database in the data dir: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("read %s: %w", path, err)
	}
	if theirs := strings.TrimSpace(string(b)); theirs != id {
		return fmt.Errorf("the data dir %s holds the workflow engine's state for another database (installation %s; this database is installation %s): "+
			"point DATABASE_URL back at that database, or give this one its own CHATCENTER_DATA_DIR, or — discarding the engine's workflow history — delete %s and %s",
			dir, theirs, id, filepath.Join(dir, "temporal.db*"), path)
	}
	return nil
}
