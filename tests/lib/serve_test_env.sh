# Shared by the script tests that drive `holo serve` from a browser or an SDK
# (tests/web, tests/browser): sourced, not run.
#
#   source "$root/tests/lib/serve_test_env.sh"
#   need_playwright              # web/node_modules/playwright-core, from web/package-lock.json
#   make_test_tmp holo-web-test  # sets $tmp; the EXIT trap stops $server_pid and removes $tmp
#                                # (KEEP_TMP=1 keeps it)
# Expects `fail` and `root` to be defined by the caller.

need_playwright() {
  if [[ ! -d "$root/web/node_modules/playwright-core" ]]; then
    (cd "$root/web" && npm ci --no-audit --no-fund >&2) || fail "npm ci in web/ failed"
  fi
}

server_pid=""
_serve_test_cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [[ "${KEEP_TMP:-0}" == 1 ]]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}

make_test_tmp() {
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  trap _serve_test_cleanup EXIT
  trap 'exit 130' INT TERM
}
