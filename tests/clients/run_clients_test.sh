#!/usr/bin/env bash
# Real clients against `holo serve`: @segment/analytics-node (source "web") and
# @rudderstack/rudder-sdk-node (source "taobao") send one person's traffic to a server on
# loopback; the test checks that both clients' identifiers resolve to one OneID holding the
# events of both sources, the ingestion API's documented answers (400, 401, 413, gzip,
# idempotency), the audit log, and that after SIGTERM the server exits 0 and a restart still
# has everything it acknowledged (batches were being sent while it stopped).
#
#   bash tests/clients/run_clients_test.sh [HOLO_BIN]     # default build/src/cli/holo
#   KEEP=1 bash tests/clients/run_clients_test.sh          # keep the temp dir (data, logs)
#
# Needs node >= 18 and npm (Debian: nodejs npm); installs the pinned SDKs with `npm ci` when
# tests/clients/node_modules is missing. Exit code 0 only when every check passed.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
HOLO_BIN=${1:-${HOLO_BIN:-$ROOT/build/src/cli/holo}}
[ -x "$HOLO_BIN" ] || { echo "run_clients_test: no holo binary at $HOLO_BIN (build first)" >&2; exit 2; }
HOLO_BIN=$(cd "$(dirname "$HOLO_BIN")" && pwd)/$(basename "$HOLO_BIN")
command -v node > /dev/null || { echo "run_clients_test: node is missing (apt-get install nodejs npm)" >&2; exit 2; }

if [ ! -f "$HERE/node_modules/@segment/analytics-node/package.json" ] ||
   [ ! -f "$HERE/node_modules/@rudderstack/rudder-sdk-node/package.json" ]; then
  # `npm install` from the lock file, not `npm ci`: this npm writes locks without the other
  # platforms' optional packages (msgpackr-extract-darwin-*, ...), which `npm ci` then
  # refuses as "not in sync"; install honours the pinned versions all the same.
  echo "run_clients_test: npm install in tests/clients"
  (cd "$HERE" && npm install --no-audit --no-fund --omit=optional --loglevel=error) || {
    echo "run_clients_test: npm install failed" >&2; exit 2; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/holo-clients.XXXXXX")
DATA=$WORK/data
LOG=$WORK/server.log
SERVER_PID=""
BURST_PID=""
PASS=0
FAIL=0

check() {  # check COND_EXIT_CODE DESCRIPTION
  if [ "$1" -eq 0 ]; then PASS=$((PASS + 1)); echo "  ok   $2"; else FAIL=$((FAIL + 1)); echo "  FAIL $2"; fi
}

cleanup() {
  if [ -n "$BURST_PID" ] && kill -0 "$BURST_PID" 2> /dev/null; then kill "$BURST_PID" 2> /dev/null; fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2> /dev/null; then
    kill -TERM "$SERVER_PID" 2> /dev/null
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2> /dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2> /dev/null && kill -KILL "$SERVER_PID" 2> /dev/null
  fi
  if [ "${KEEP:-0}" = 1 ] || [ "$FAIL" -ne 0 ]; then
    echo "run_clients_test: kept $WORK (data, server.log, state.json)"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port, http_status
source "$HERE/../../scripts/lib/loopback_http.sh"

# http_get PATH [TOKEN]: the whole body of GET PATH.
http_get() (
  { exec 3<> "/dev/tcp/127.0.0.1/$PORT"; } 2> /dev/null || return 1
  if [ -n "${2:-}" ]; then
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n' "$1" "$2" >&3
  else
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$1" >&3
  fi
  timeout 10 cat <&3
)

# A credential printed by the CLI: the last token of its output (or "token"/"writeKey" of a JSON answer).
credential() {
  local out=$1
  if [[ $out == "{"* ]]; then
    printf '%s' "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(j.writeKey||j.write_key||j.token||j.key)})'
  else
    printf '%s\n' "$out" | awk 'NF{last=$NF} END{print last}'
  fi
}

start_server() {
  "$HOLO_BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" >> "$LOG" 2>&1 &
  SERVER_PID=$!
  local t0=$SECONDS
  while [ $((SECONDS - t0)) -lt 60 ]; do
    if ! kill -0 "$SERVER_PID" 2> /dev/null; then
      echo "  server exited while starting:"; tail -n 20 "$LOG"; SERVER_PID=""; return 1
    fi
    [ "$(http_status /readyz)" = 200 ] && { echo "  holo serve pid $SERVER_PID ready on 127.0.0.1:$PORT after $((SECONDS - t0)) s"; return 0; }
    sleep 0.1
  done
  echo "  server not ready after 60 s"; tail -n 20 "$LOG"; return 1
}

# stop_server: SIGTERM, wait up to 30 s; prints and returns the exit code.
STOP_RC=0
stop_server() {
  local pid=$SERVER_PID t0=$SECONDS
  kill -TERM "$pid"
  while kill -0 "$pid" 2> /dev/null && [ $((SECONDS - t0)) -lt 30 ]; do sleep 0.1; done
  if kill -0 "$pid" 2> /dev/null; then
    echo "  server still running 30 s after SIGTERM; killing it"
    kill -KILL "$pid"; wait "$pid" 2> /dev/null; STOP_RC=137
  else
    wait "$pid"; STOP_RC=$?
  fi
  SERVER_PID=""
  echo "  holo serve stopped by SIGTERM: exit code $STOP_RC after $((SECONDS - t0)) s"
}

echo "run_clients_test: $HOLO_BIN, work dir $WORK"
echo "  node $(node --version), @segment/analytics-node $(node -p 'require(process.argv[1]).version' "$HERE/node_modules/@segment/analytics-node/package.json"), @rudderstack/rudder-sdk-node $(node -p 'require(process.argv[1]).version' "$HERE/node_modules/@rudderstack/rudder-sdk-node/package.json")"

echo "== credentials (CLI, server stopped)"
out=$("$HOLO_BIN" writekey create --data "$DATA" web 2>> "$LOG"); rc=$?
check $rc "holo writekey create --data DIR web"
WRITE_KEY_SEGMENT=$(credential "$out")
out=$("$HOLO_BIN" writekey create --data "$DATA" taobao 2>> "$LOG"); rc=$?
check $rc "holo writekey create --data DIR taobao"
WRITE_KEY_RUDDER=$(credential "$out")
out=$("$HOLO_BIN" token create --data "$DATA" clients-admin --role admin 2>> "$LOG"); rc=$?
check $rc "holo token create --data DIR clients-admin --role admin"
HOLO_TOKEN=$(credential "$out")
[ -n "$WRITE_KEY_SEGMENT" ] && [ -n "$WRITE_KEY_RUDDER" ] && [ -n "$HOLO_TOKEN" ] && [ "$WRITE_KEY_SEGMENT" != "$WRITE_KEY_RUDDER" ]
check $? "three distinct credentials printed (write keys ${#WRITE_KEY_SEGMENT} and ${#WRITE_KEY_RUDDER} chars, token ${#HOLO_TOKEN} chars)"
if [ "$FAIL" -ne 0 ]; then tail -n 20 "$LOG"; echo "clients: $PASS passed, $FAIL failed"; exit 1; fi

PORT=$(free_port)
export HOLO_URL="http://127.0.0.1:$PORT" HOLO_TOKEN WRITE_KEY_SEGMENT WRITE_KEY_RUDDER STATE_FILE="$WORK/state.json"
export NODE_PATH="$HERE/node_modules"

echo "== start: $HOLO_BIN serve --data $DATA --listen 127.0.0.1:$PORT"
start_server; check $? "server ready (GET /readyz -> 200)"
[ "$(http_status /healthz)" = 200 ]; check $? "GET /healthz -> 200"
if [ -z "$SERVER_PID" ]; then echo "clients: $PASS passed, $((FAIL)) failed"; exit 1; fi

(cd "$HERE" && timeout 180 node clients.mjs main); check $? "clients.mjs main (SDK traffic, contract checks, resolution)"

echo "== audit log and metrics"
grep -q '"action":"profile.read"' "$DATA/audit.jsonl" 2> /dev/null && grep -q '"token":"clients-admin"' "$DATA/audit.jsonl"
check $? "profile reads are in DIR/audit.jsonl with the token name ($(grep -c 'profile.read' "$DATA/audit.jsonl" 2> /dev/null || echo 0) lines)"
metrics=$(http_get /metrics "$HOLO_TOKEN")
grep -q '^holo_events_ingested_total{source="web"}' <<< "$metrics" && grep -q '^holo_events_ingested_total{source="taobao"}' <<< "$metrics"
check $? "GET /metrics has holo_events_ingested_total for web and taobao"
grep -q '^holo_http_requests_total{' <<< "$metrics"; check $? "GET /metrics has holo_http_requests_total"

echo "== SIGTERM while batches are in flight"
rm -f "$WORK/burst.started"
(cd "$HERE" && BURST_STARTED_FILE="$WORK/burst.started" timeout 60 node clients.mjs burst) &
BURST_PID=$!
for _ in $(seq 200); do [ -f "$WORK/burst.started" ] && break; sleep 0.05; done
[ -f "$WORK/burst.started" ]; check $? "burst sender got its first 2xx"
sleep 1
stop_server
[ "$STOP_RC" -eq 0 ]; check $? "holo serve exits 0 after SIGTERM"
wait "$BURST_PID"; check $? "burst sender recorded its acknowledged batches"
BURST_PID=""
"$HOLO_BIN" stats --data "$DATA" 2>> "$LOG" | sed 's/^/  holo stats: /'

echo "== restart on the same data directory"
start_server; check $? "server ready again"
if [ -n "$SERVER_PID" ]; then
  (cd "$HERE" && timeout 180 node clients.mjs verify); check $? "clients.mjs verify (same OneID, events, nothing acknowledged lost)"
  stop_server
  [ "$STOP_RC" -eq 0 ]; check $? "holo serve exits 0 after the second SIGTERM"
fi

if [ "$FAIL" -ne 0 ]; then echo "--- server log (last 40 lines)"; tail -n 40 "$LOG"; fi
echo "clients: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
