#!/usr/bin/env bash
# Builds targets of a configured build directory with one line of output, the compiler's
# output kept in BUILD/build.log and shown (its end) only when the build fails.
#   scripts/quiet_build.sh BUILD_DIR JOBS TARGET...
set -uo pipefail
build="$1"; jobs="$2"; shift 2
log="$build/build.log"
start=$(date +%s)
echo "build: $* in $build (compiler output: $log)" >&2
if ! cmake --build "$build" -j "$jobs" --target "$@" >"$log" 2>&1; then
  echo "build: FAILED; the end of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "build: done in $(( $(date +%s) - start )) s" >&2
