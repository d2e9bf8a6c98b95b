# Helpers for scripts that start `holo serve` on loopback (sourced; needs node and bash).
#
#   source scripts/lib/loopback_http.sh
#   PORT=$(free_port)
#   [ "$(http_status /readyz)" = 200 ]     # GET on 127.0.0.1:$PORT

# free_port: a free TCP port on 127.0.0.1.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# http_status PATH: the status code of GET PATH on 127.0.0.1:$PORT, via bash's /dev/tcp (no curl
# needed); "000" when nothing answers. A subshell, so that exec's redirections do not touch the
# caller's descriptors.
http_status() (
  local line
  { exec 3<> "/dev/tcp/127.0.0.1/$PORT"; } 2> /dev/null || { echo 000; return; }
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$1" >&3
  IFS= read -r -t 5 line <&3 || line=""
  line=${line%$'\r'}
  set -- $line
  echo "${2:-000}"
)
