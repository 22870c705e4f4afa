#!/usr/bin/env bash
# Runs the production shape of docker-compose.yml without Docker, from binaries built with Go:
# Temporal's schema job and server (the versions the compose file pins), the namespace job, then
# `chatcenter migrate up`, `serve` and `worker` as separate processes sharing a files directory,
# and walks a message through them: webhook → conversation → reply sent by the worker → an
# uploaded file sent from the shared directory. Needs Postgres on 127.0.0.1:5432 (trust auth, as
# for the tests), curl, jq and python3; uses ports 7233–7239, 6933–6939 and 18080/18099.
#
#   bash deploy/check.sh        # first run builds the Temporal binaries (several minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

temporal_version=$(go list -m -f '{{.Version}}' go.temporal.io/server)
cli_version=v1.5.1 # the temporal CLI release the module proxy serves that builds with this Go
bin="${CHATCENTER_CHECK_BIN:-$HOME/.cache/chatcenter-check/$temporal_version}"
work=$(mktemp -d)
pg=postgres://postgres@127.0.0.1:5432
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS chatcenter_check" -c "DROP DATABASE IF EXISTS temporal_check" \
    -c "DROP DATABASE IF EXISTS temporal_check_visibility" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n==> %s\n' "$*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

step "Temporal $temporal_version binaries in $bin"
mkdir -p "$bin"
[ -x "$bin/temporal-server" ] || GOBIN="$bin" go install "go.temporal.io/server/cmd/server@$temporal_version"
[ -x "$bin/server" ] && mv "$bin/server" "$bin/temporal-server"
[ -x "$bin/temporal-sql-tool" ] || { GOBIN="$bin" go install "go.temporal.io/server/cmd/tools/sql@$temporal_version" && mv "$bin/sql" "$bin/temporal-sql-tool"; }
[ -x "$bin/temporal" ] || GOBIN="$bin" go install "github.com/temporalio/cli/cmd/temporal@$cli_version"
go build -o "$work/chatcenter" ./cmd/chatcenter
export PATH="$bin:$PATH"

step "deploy/temporal/setup-schema.sh (twice: it must be idempotent)"
# The compose file's database names, with a suffix so a local server's own databases are untouched.
sed -e 's/temporal:temporal temporal_visibility:visibility/temporal_check:temporal temporal_check_visibility:visibility/' \
  deploy/temporal/setup-schema.sh > "$work/setup-schema.sh"
grep -q temporal_check "$work/setup-schema.sh" || fail "setup-schema.sh no longer names its databases as this check expects"
for _ in 1 2; do
  SQL_HOST=127.0.0.1 SQL_PORT=5432 SQL_USER=postgres SQL_PASSWORD= \
    TEMPORAL_SCHEMA_DIR="$(go env GOMODCACHE)/go.temporal.io/server@$temporal_version/schema/postgresql/v12" \
    sh "$work/setup-schema.sh" >"$work/schema.log" 2>&1 || { tail -20 "$work/schema.log"; fail "setup-schema.sh"; }
done

step "Temporal server, configured as the image configures it"
(cd "$work" && DB=postgres12 DB_PORT=5432 POSTGRES_USER=postgres POSTGRES_PWD= POSTGRES_SEEDS=127.0.0.1 \
  DBNAME=temporal_check VISIBILITY_DBNAME=temporal_check_visibility BIND_ON_IP=127.0.0.1 \
  DYNAMIC_CONFIG_FILE_PATH="$root/deploy/temporal/dynamicconfig.yaml" \
  exec temporal-server start >"$work/temporal.log" 2>&1) &
pids+=($!)

step "deploy/temporal/setup-namespace.sh (twice)"
for _ in 1 2; do
  TEMPORAL_ADDRESS=127.0.0.1:7233 TEMPORAL_NAMESPACE=default sh deploy/temporal/setup-namespace.sh >"$work/ns.log" 2>&1 ||
    { tail -20 "$work/ns.log" "$work/temporal.log"; fail "setup-namespace.sh"; }
done

step "chatcenter migrate up, serve, worker"
psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS chatcenter_check" -c "CREATE DATABASE chatcenter_check" >/dev/null
export DATABASE_URL="$pg/chatcenter_check?sslmode=disable" TEMPORAL_ADDRESS=127.0.0.1:7233 TEMPORAL_NAMESPACE=default \
  CHATCENTER_SECRET_KEY=$(openssl rand -hex 32) CHATCENTER_ADMIN_PASSWORD=check-password \
  CHATCENTER_FILES_DIR="$work/files" CHATCENTER_LOG_FORMAT=json
"$work/chatcenter" migrate up >/dev/null
CHATCENTER_HTTP_ADDR=127.0.0.1:18080 "$work/chatcenter" serve >"$work/serve.log" 2>&1 &
pids+=($!)
"$work/chatcenter" worker >"$work/worker.log" 2>&1 &
pids+=($!)

# A Bot API that answers every sendMessage/sendDocument as Telegram does, and logs the calls.
cat >"$work/bot.py" <<'EOF'
import http.server, itertools, json, sys
ids = itertools.count(100)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        open(sys.argv[1], 'ab').write(self.path.encode() + b' ' + body + b'\n')
        out = json.dumps({"ok": True, "result": {"message_id": next(ids), "chat": {"id": 555, "type": "private"}, "date": 1700000000}}).encode()
        self.send_response(200); self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(out))); self.end_headers(); self.wfile.write(out)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', 18099), H).serve_forever()
EOF
python3 "$work/bot.py" "$work/bot.log" &
pids+=($!)

api=http://127.0.0.1:18080
for _ in $(seq 60); do curl -sf "$api/readyz" >/dev/null && break; sleep 1; done
curl -sf "$api/readyz" >/dev/null || { tail -20 "$work/serve.log"; fail "serve is not ready"; }
token=$(curl -sf "$api/api/v1/auth/login" -d '{"email":"admin@example.com","password":"check-password"}' | jq -r .token)
auth=(-H "Authorization: Bearer $token")
wait_for() { # jq filter on a GET, expected value
  for _ in $(seq 60); do [ "$(curl -sf "${auth[@]}" "$api$1" | jq -r "$2")" = "$3" ] && return 0; sleep 1; done
  tail -20 "$work/worker.log"; fail "$1 | $2 never became $3"
}

step "webhook → conversation → reply → file"
curl -sf "$api/api/v1/channels" "${auth[@]}" \
  -d '{"type":"telegram","name":"check","config":{"bot_token":"1:check","secret_token":"check-secret","api_base_url":"http://127.0.0.1:18099"}}' >/dev/null
curl -sf "$api/webhooks/telegram/1" -H 'X-Telegram-Bot-Api-Secret-Token: check-secret' \
  -d '{"update_id":1,"message":{"message_id":1,"date":1700000000,"text":"hello","chat":{"id":555,"type":"private","first_name":"Check"},"from":{"id":555,"first_name":"Check"}}}' >/dev/null
wait_for "/api/v1/conversations?status=open" '.items | length' 1
curl -sf "$api/api/v1/conversations/1/messages" "${auth[@]}" -d '{"type":"text","text":"reply from the worker"}' >/dev/null
wait_for "/api/v1/conversations/1/messages" '.items[0].status' sent
printf 'a file from serve' >"$work/upload.txt"
file_id=$(curl -sf "$api/api/v1/files" "${auth[@]}" -F file=@"$work/upload.txt" | jq -r .id)
curl -sf "$api/api/v1/conversations/1/messages" "${auth[@]}" \
  -d "{\"type\":\"attachment\",\"attachment\":{\"type\":\"file\",\"file_id\":$file_id}}" >/dev/null
wait_for "/api/v1/conversations/1/messages" '.items[0].status' sent
grep -q "reply from the worker" "$work/bot.log" || fail "the reply did not reach the Bot API"
grep -q "a file from serve" "$work/bot.log" || fail "the file did not reach the Bot API"

step "OK: the compose file's Temporal setup, serve and worker work together"
