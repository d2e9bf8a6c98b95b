#!/usr/bin/env bash
# Browser SDKs against `holo serve`: tests/browser/browser.mjs serves a shop page from a second
# loopback origin, loads @segment/analytics-next and @rudderstack/analytics-js into headless
# Chromium, sends track/page/identify/group, batches with keepalive and beacons, and checks
# through the admin API what landed and that unlisted origins are refused (docs/http_api.md,
# "Browsers").
#
#   bash tests/browser/run_browser_test.sh HOLO_BIN
#
# Needs node, npm and chromium (scripts/setup.sh). Installs the pinned SDKs (tests/browser,
# package-lock.json) and playwright-core (web/) when missing.
# env: CHROMIUM (default /usr/bin/chromium), KEEP_TMP=1 keeps the temp dir (data, server log).
set -euo pipefail

holo="${1:?usage: run_browser_test.sh HOLO_BIN}"
holo="$(cd "$(dirname "$holo")" && pwd)/$(basename "$holo")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

fail() { echo "FAIL run_browser_test: $*" >&2; exit 1; }

[[ -x "$holo" ]] || fail "$holo is not an executable"
command -v node >/dev/null || fail "node is not installed"
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || fail "${CHROMIUM:-/usr/bin/chromium} is missing (apt-get install chromium)"

if [[ ! -f "$here/node_modules/@segment/analytics-next/package.json" ]] ||
   [[ ! -f "$here/node_modules/@rudderstack/analytics-js/package.json" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2) || fail "npm ci in tests/browser failed"
fi
source "$root/tests/lib/serve_test_env.sh"
need_playwright

make_test_tmp holo-browser-test

data="$tmp/data"
log="$tmp/serve.log"
token="$("$holo" token create --data "$data" browser-e2e --role admin 2>"$tmp/token.log")" \
  || { cat "$tmp/token.log" >&2; fail "holo token create"; }
token="$(printf '%s' "$token" | tail -n 1 | tr -d '[:space:]')"
[[ -n "$token" ]] || fail "holo token create printed no token"
# The CLI's --allow-origin: normalized, and a path refused.
"$holo" writekey create --data "$data" cli-check --allow-origin 'HTTPS://Shop.Example:443,http://127.0.0.1:8080' >/dev/null \
  || fail "holo writekey create --allow-origin"
if "$holo" writekey create --data "$data" cli-check --allow-origin 'https://shop.example/cart' >/dev/null 2>&1; then
  fail "holo writekey create --allow-origin took an origin with a path"
fi

start_holo_serve "$data" "$log" --resolve-interval-ms 100 --access-log
status=0
HOLO_URL="$url" HOLO_TOKEN="$token" timeout 200 node "$here/browser.mjs" || status=$?
# The CORS preflights the SDKs' Authorization headers made (analytics-next: /v1/i ...;
# RudderStack: /v1/track ...), answered 204.
for path in /v1/i /v1/t /v1/b /v1/track /v1/identify; do
  if grep -q "\"method\":\"OPTIONS\",\"path\":\"$path\",\"status\":\"204\"" "$log"; then
    echo "  ok   the browser's preflight OPTIONS $path was answered 204"
  else
    echo "  FAIL no preflight OPTIONS $path answered 204 in the access log"; status=1
  fi
done
if grep -q '"msg":"browser origin refused"' "$log"; then
  echo "  ok   the server logged the refused origins"
else
  echo "  FAIL the server did not log the refused origins"; status=1
fi
if [[ "$status" != 0 ]]; then
  [[ "$status" == 124 ]] && echo "FAIL run_browser_test: browser.mjs took longer than 200 s" >&2
  echo "--- last lines of the server log ($log)" >&2
  tail -n 30 "$log" >&2
fi

kill -TERM "$server_pid" 2>/dev/null || true
wait "$server_pid" || true
server_pid=""
exit "$status"
