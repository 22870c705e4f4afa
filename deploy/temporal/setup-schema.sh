#!/bin/sh
# Creates Temporal's two databases on Postgres and brings their schemas to the version of the
# Temporal server image. Safe on every start: existing databases are kept and only missing schema
# versions are applied, which is also how a Temporal upgrade migrates them.
# Connection: SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD (read by temporal-sql-tool itself).
set -eu

schema="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"
for pair in temporal:temporal temporal_visibility:visibility; do
  db="${pair%%:*}"
  dir="${pair#*:}"
  temporal-sql-tool --plugin postgres12 --db "$db" create
  temporal-sql-tool --plugin postgres12 --db "$db" setup-schema -v 0.0
  temporal-sql-tool --plugin postgres12 --db "$db" update-schema -d "$schema/$dir/versioned"
done
echo "Temporal schemas are current"
