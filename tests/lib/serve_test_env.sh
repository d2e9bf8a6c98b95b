# Shared by the script tests that drive `holo serve` from a browser or an SDK
# (tests/web, tests/browser): sourced, not run.
#
#   source "$root/tests/lib/serve_test_env.sh"
#   need_playwright              # web/node_modules/playwright-core, from web/package-lock.json
#   make_test_tmp holo-web-test  # sets $tmp; the EXIT trap stops $server_pid and removes $tmp
#                                # (KEEP_TMP=1 keeps it)
#   start_holo_serve "$data" "$log" --k 10   # sets $url and $server_pid, waits for /readyz
# Expects `fail`, `root` and `holo` to be defined by the caller.

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

# start_holo_serve DATA LOG [ARGS...]: `holo serve` ($holo) on a free loopback port, stderr to
# LOG; sets $url and $server_pid and returns once /readyz answers 200 (fails after 30 s).
start_holo_serve() {
  local data="$1" log="$2"
  shift 2
  local port
  port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  url="http://127.0.0.1:$port"
  echo "== holo serve on $url"
  "$holo" serve --data "$data" --listen "127.0.0.1:$port" "$@" 2>"$log" &
  server_pid=$!
  for _ in $(seq 150); do
    kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$log" >&2; fail "holo serve exited before it was ready"; }
    if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' "$url/readyz"; then
      return 0
    fi
    sleep 0.2
  done
  tail -n 20 "$log" >&2
  fail "$url/readyz did not answer 200 within 30 s"
}
