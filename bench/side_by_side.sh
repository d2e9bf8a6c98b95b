#!/usr/bin/env bash
# Side by side on the same edge list: Holo's identity resolution vs networkx and
# igraph connected components (Debian's python3-networkx, python3-igraph).
#
#   bash bench/side_by_side.sh                  # generates and ingests a 100,000-person world
#   PERSONS=50000 bash bench/side_by_side.sh
#   DATA=./demo-world/data bash bench/side_by_side.sh   # an existing store
#
# Prints the graph size, each tool's time (loading excluded) and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
HOLO=${HOLO:-build/src/cli/holo}
CC_BENCH=${CC_BENCH:-build/bench/cc_bench}
WORK=${WORK:-/tmp/holo-sbs}
PERSONS=${PERSONS:-100000}
PY=/usr/bin/python3
[ -x "$HOLO" ] && [ -x "$CC_BENCH" ] || { echo "side_by_side: build first (make build)" >&2; exit 1; }
if ! $PY -c "import networkx, igraph" 2>/dev/null; then
  echo "side_by_side: installing python3-networkx python3-igraph" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get install -y -qq python3-networkx python3-igraph >&2
fi
mkdir -p "$WORK"
if [ -z "${DATA:-}" ]; then
  DATA="$WORK/data"
  rm -rf "$WORK/world" "$DATA"
  "$HOLO" generate --persons "$PERSONS" --out "$WORK/world" > /dev/null
  "$HOLO" ingest --data "$DATA" "$WORK/world" > /dev/null
fi
rm -rf "$WORK/graph"
"$HOLO" export graph --data "$DATA" --out "$WORK/graph"
holo_json=$("$CC_BENCH" "$WORK/graph/nodes.tsv" "$WORK/graph/edges.tsv")
peers_json=$($PY bench/cc_peers.py "$WORK/graph/nodes.tsv" "$WORK/graph/edges.tsv")
echo "holo:  $holo_json"
echo "peers: $peers_json"
$PY - "$holo_json" "$peers_json" <<'PYEOF'
import json, sys
h, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert h["components"] == p["networkx_components"] == p["igraph_components"], "component counts differ"
print(f"| {h['nodes']:,} nodes, {h['edges']:,} edges | "
      f"union-find CC {h['cc_seconds']:.3f} s | Holo rules {h['resolve_seconds']:.3f} s | "
      f"networkx {p['networkx_version']} {p['networkx_seconds']:.3f} s | igraph {p['igraph_version']} {p['igraph_seconds']:.3f} s | "
      f"CC vs networkx {p['networkx_seconds']/h['cc_seconds']:.0f}x, vs igraph {p['igraph_seconds']/h['cc_seconds']:.1f}x | "
      f"rules vs networkx {p['networkx_seconds']/h['resolve_seconds']:.2f}x, vs igraph {p['igraph_seconds']/h['resolve_seconds']:.2f}x |")
PYEOF
