#!/usr/bin/env bash
# Installs the peer systems the side-by-side benchmarks compare against, from
# Debian 12 packages only: ClickHouse 18.16 (server + client), the sqlite3 CLI
# and curl. Idempotent: a no-op (no apt-get at all) when everything is present.
# The packaged ClickHouse service is not started (no systemd here); the
# benchmarks run their own server as a normal process on loopback.
set -euo pipefail
PACKAGES=(clickhouse-server clickhouse-client sqlite3 curl)
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup_bench: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
