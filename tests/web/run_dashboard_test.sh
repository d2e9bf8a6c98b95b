#!/usr/bin/env bash
# End-to-end test of the dashboard: a small generated world (with a recommendation model
# trained on it), `holo serve`, and
# tests/web/dashboard.mjs driving headless Chromium through every view.
#
#   tests/web/run_dashboard_test.sh HOLO_BIN
#
# env: SCREENSHOT_DIR (default $TMPDIR/holo-screenshots), CHROMIUM (default /usr/bin/chromium),
#      KEEP_TMP=1 keeps the temp dir (world, data, server log).
set -euo pipefail

holo="${1:?usage: run_dashboard_test.sh HOLO_BIN}"
holo="$(cd "$(dirname "$holo")" && pwd)/$(basename "$holo")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-${TMPDIR:-/tmp}/holo-screenshots}"

fail() { echo "FAIL run_dashboard_test: $*" >&2; exit 1; }

[[ -x "$holo" ]] || fail "$holo is not an executable"
command -v node >/dev/null || fail "node is not installed"
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || fail "${CHROMIUM:-/usr/bin/chromium} is missing (apt-get install chromium)"

# playwright-core comes from web/node_modules (npm ci from web/package-lock.json).
source "$root/tests/lib/serve_test_env.sh"
need_playwright

make_test_tmp holo-web-test

world="$tmp/world"
data="$tmp/data"
log="$tmp/serve.log"

echo "== generate and ingest a small world in $tmp"
"$holo" generate --persons 300 --seed 11 --out "$world" >/dev/null 2>"$tmp/generate.log" \
  || { cat "$tmp/generate.log" >&2; fail "holo generate"; }
"$holo" ingest --data "$data" "$world" >/dev/null 2>"$tmp/ingest.log" \
  || { cat "$tmp/ingest.log" >&2; fail "holo ingest"; }
segment=buyers
"$holo" segment create --data "$data" "$segment" 'order_count >= 1' >/dev/null \
  || fail "holo segment create"
# Offline stores: the busiest generated store (its probes and beacons: zones and flows), and
# the real lab captures when ../shared is beside the checkout.
# (one awk pass: no `head` closing a pipe early, which pipefail would turn into a failure)
store="$(grep -ho '"store_id":"[^"]*"' "$world/store_wifi.jsonl" "$world/store_beacon.jsonl" \
  | awk -F'"' '{ n[$4]++ } END { for (s in n) if (n[s] > best) { best = n[s]; id = s }; print id }')"
[[ -n "$store" ]] || fail "the generated world has no store events"
"$holo" stores import --data "$data" --store "$store" "$world/store_wifi.jsonl" "$world/store_beacon.jsonl" >/dev/null \
  || fail "holo stores import (generated)"
lab_dir="$root/../shared/datasets/stores/wifi_probe_occupancy_brno"
if [[ -d "$lab_dir" ]]; then
  "$holo" stores import --data "$data" --store brno-lab "$lab_dir"/*.csv >/dev/null || fail "holo stores import (lab)"
fi
# A recommendation model (EASE: fast; `auto` would evaluate every model) for the 360 view's
# recommendations; trained with the server stopped, as the CLI requires.
"$holo" recommend train --data "$data" --algo ease >"$tmp/recommend_train.json" 2>"$tmp/recommend_train.log" \
  || { cat "$tmp/recommend_train.log" >&2; fail "holo recommend train --algo ease"; }
grep -q '"algo"' "$tmp/recommend_train.json" || { cat "$tmp/recommend_train.json" >&2; fail "holo recommend train printed no report"; }
token="$("$holo" token create --data "$data" web-e2e --role admin)" || fail "holo token create"
token="$(printf '%s' "$token" | tail -n 1 | tr -d '[:space:]')"
[[ -n "$token" ]] || fail "holo token create printed no token"

# --k 10: in a world this small most cells are under the default k of 50.
start_holo_serve "$data" "$log" --k 10

echo "== dashboard test (screenshots in $SCREENSHOT_DIR)"
status=0
HOLO_URL="$url" HOLO_TOKEN="$token" HOLO_WORLD="$world" HOLO_SEGMENT="$segment" HOLO_STORE="$store" \
  timeout 170 node "$root/tests/web/dashboard.mjs" || status=$?
if [[ "$status" != 0 ]]; then
  [[ "$status" == 124 ]] && echo "FAIL run_dashboard_test: dashboard.mjs took longer than 170 s" >&2
  echo "--- last lines of the server log ($log)" >&2
  tail -n 20 "$log" >&2
fi

kill -TERM "$server_pid" 2>/dev/null || true
serve_status=0
wait "$server_pid" || serve_status=$?
[[ "$serve_status" == 0 ]] || echo "note: holo serve exited with status $serve_status after SIGTERM" >&2
server_pid=""
exit "$status"
