#!/usr/bin/env bash
# Recommendations and look-alikes on a generated world (bench/RESULTS.md, issue 19):
#   1. the cross-domain hit rate: do the recommendations after a trip abroad hold what the trip
#      truly led to (follow_ups.csv)? popularity, the base model, the cross-domain step, blended;
#   2. look-alike audiences from a brand's customer list against the latent affinities of
#      persons.csv (AUC, precision at the size beside the base rate), for several categories;
#   3. `holo recommend train --data` (auto: every model evaluated, the best kept), timed.
# Usage: PERSONS=20000 ALGO=sequential bash bench/recs_world.sh [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
PERSONS=${PERSONS:-20000}
ALGO=${ALGO:-sequential}
WORK=${WORK:-/tmp/holo-recs-world}
HOLO=$BUILD/src/cli/holo
rm -rf "$WORK" "$WORK.keyring"
mkdir -p "$WORK"
echo "## Recommendations on a generated world ($PERSONS persons, $(date -u +%Y-%m-%d); nproc $(nproc))"
echo "Command: PERSONS=$PERSONS ALGO=$ALGO bash bench/recs_world.sh $BUILD"
"$HOLO" generate --persons "$PERSONS" --out "$WORK/world" > /dev/null 2>&1
"$HOLO" ingest --data "$WORK/data" "$WORK/world" > /dev/null 2>&1
"$HOLO" recommend interactions --data "$WORK/data" > "$WORK/interactions.csv" 2> /dev/null
echo
echo "### Cross-domain hit rate"
/usr/bin/time -f "(cross_domain_eval: %e s, %M KB)" "$BUILD/src/recommend/cross_domain_eval" "$WORK/interactions.csv" "$WORK/world/follow_ups.csv" --algo "$ALGO"
echo
echo "### Look-alike audiences against persons.csv"
for category in baby luxury sports travel; do
  /usr/bin/python3 bench/lookalike_eval.py "$HOLO" "$WORK/data" "$WORK/world" --category "$category"
  echo
done
echo "### holo recommend train --data (auto)"
/usr/bin/time -f "(train: %e s, %M KB)" "$HOLO" recommend train --data "$WORK/data"
