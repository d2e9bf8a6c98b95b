#!/usr/bin/env bash
# End-to-end benchmark driver: for each size, generate a world, ingest it
# (store only), then resolve identities and build profiles, each phase in its
# own process under /usr/bin/time so that its peak memory is its own.
#
#   bash bench/run.sh                 # 100000 and 1000000 persons
#   SIZES="20000" bash bench/run.sh   # other sizes
#   HOLO=build/src/cli/holo WORK=/tmp/holo-bench
#
# Prints one Markdown table row per size, ready for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
HOLO=${HOLO:-build/src/cli/holo}
WORK=${WORK:-/tmp/holo-bench}
SIZES=${SIZES:-"100000 1000000"}
SEED=${SEED:-42}
[ -x "$HOLO" ] || { echo "bench: $HOLO not built (make build)" >&2; exit 1; }

# Runs a command under /usr/bin/time -v; leaves stdout in $WORK/out, prints
# "seconds peak_mib".
timed() {
  /usr/bin/time -v -o "$WORK/time" "$@" > "$WORK/out"
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/time")
  echo "$secs $rss"
}
json() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$WORK/out" | head -1; }

mkdir -p "$WORK"
echo "| persons | messages | generate s (peak MiB) | ingest events/s (s, peak MiB) | resolve identifiers/s (s, peak MiB) | profiles persons/s (s) | resolve+profiles peak MiB | precision | recall | F1 |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
  rm -rf "$WORK/world" "$WORK/data"
  read -r gen_s gen_mb < <(timed "$HOLO" generate --persons "$n" --seed "$SEED" --out "$WORK/world")
  events=$(json events)
  read -r ing_s ing_mb < <(timed "$HOLO" ingest --no-resolve --data "$WORK/data" "$WORK/world")
  stored=$(json stored); ing_inner=$(json seconds)
  read -r res_s res_mb < <(timed "$HOLO" resolve --data "$WORK/data")
  nodes=$(json resolved_nodes); rsec=$(json resolve_seconds); psec=$(json profile_seconds); profiles=$(json profiles_written)
  "$HOLO" eval --data "$WORK/data" --truth "$WORK/world/truth.csv" --linkable "$WORK/world/truth_linkable.csv" > "$WORK/out"
  p=$(json precision); r=$(json recall); f=$(json f1)
  awk -v n="$n" -v ev="$events" -v gs="$gen_s" -v gm="$gen_mb" -v st="$stored" -v is="$ing_inner" -v iw="$ing_s" -v im="$ing_mb" \
      -v nodes="$nodes" -v rs="$rsec" -v ps="$psec" -v prof="$profiles" -v rm="$res_mb" -v p="$p" -v r="$r" -v f="$f" 'BEGIN {
    printf "| %d | %d | %.1f (%d) | %.0f (%.1f s, %d) | %.0f (%.1f s, %d nodes) | %.0f (%.1f s, %d profiles) | %d | %.4f | %.4f | %.4f |\n",
      n, ev, gs, gm, st/is, iw, im, nodes/rs, rs, nodes, prof/ps, ps, prof, rm, p, r, f }'
done
