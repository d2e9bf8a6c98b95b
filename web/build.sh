#!/usr/bin/env bash
# web/build.sh OUT_DIR: install the npm dependencies when needed (npm registry only)
# and copy the dashboard's static files, flat, into OUT_DIR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: web/build.sh OUT_DIR}"

# npm ci when node_modules is missing or older than the lock file.
if [[ ! -d "$here/node_modules" || "$here/package-lock.json" -nt "$here/node_modules" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund >&2)
  touch "$here/node_modules"
fi

echarts="$here/node_modules/echarts/dist/echarts.min.js"
[[ -f "$echarts" ]] || { echo "web/build.sh: $echarts is missing (npm ci failed?)" >&2; exit 1; }

mkdir -p "$out"
for f in index.html app.js style.css; do
  cp "$here/src/$f" "$out/$f"
done
cp "$echarts" "$out/echarts.min.js"
