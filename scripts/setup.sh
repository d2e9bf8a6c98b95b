#!/usr/bin/env bash
# Installs Holo's build dependencies from Debian 12 packages. Idempotent: a
# no-op (no apt-get at all) when everything is already present.
#   --bench  also the peer systems of the side-by-side benchmarks (ClickHouse 18.16
#            server + client, the sqlite3 CLI, curl, wrk, Redis 7); their packaged
#            services are not started, the benchmarks run their own servers on loopback;
#            Debian's numpy for the recommenders' Python reference (bench/recs_reference.py).
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  librocksdb-dev libroaring-dev libsimdjson-dev libfmt-dev libspdlog-dev libcli11-dev
  libsodium-dev libgtest-dev libgmock-dev libbenchmark-dev libtomlplusplus-dev time
  libcpp-httplib-dev zlib1g-dev libphonenumber-dev libeigen3-dev
  clang
  chromium
)
# Node.js and npm build the dashboard's assets and run the browser and SDK tests.
# A machine may already have Node.js from elsewhere (with npm bundled): keep it.
if ! command -v node >/dev/null 2>&1; then PACKAGES+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(clickhouse-server clickhouse-client sqlite3 curl wrk redis-server redis-tools python3-numpy)
fi
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
