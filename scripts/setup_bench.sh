#!/usr/bin/env bash
# Installs the build dependencies plus the peer systems the side-by-side benchmarks
# compare against (see scripts/setup.sh --bench).
exec "$(dirname "$0")/setup.sh" --bench
