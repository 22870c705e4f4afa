package db

import (
	"context"
	"fmt"
)

// Installation returns the id naming this database's installation, creating it on first use.
// State kept outside the database (the dev engine's data dir) records it, so that it is never
// paired with another database.
func (d *DB) Installation(ctx context.Context) (string, error) {
	if err := d.InstallationEnsure(ctx); err != nil {
		return "", fmt.Errorf("create installation id: %w", err)
	}
	id, err := d.InstallationID(ctx)
	if err != nil {
		return "", fmt.Errorf("read installation id: %w", err)
	}
	return id, nil
}
