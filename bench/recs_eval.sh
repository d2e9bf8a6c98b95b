#!/usr/bin/env bash
# The recommenders on the real data sets, side by side with the Python reference (numpy), in
# one run (bench/RESULTS.md, issue 19). Usage: bash bench/recs_eval.sh [BUILD] [SHARED]
set -euo pipefail
BUILD=${1:-build}
SHARED=${2:-../shared}
ML="$SHARED/datasets/recs/movielens_100k/u.data"
TB="$SHARED/datasets/behavior/taobao_userbehavior"
echo "## MovieLens 100k, leave-last-out by time, full ranking"
/usr/bin/time -f "(recommend_eval: %e s, %M KB)" "$BUILD/src/recommend/recommend_eval" "$ML"
echo
/usr/bin/time -f "(reference: %e s, %M KB)" /usr/bin/python3 "$(dirname "$0")/recs_reference.py" "$ML"
for sample in betashepherd fattydelivery; do
  echo
  echo "## Taobao UserBehavior ($sample), next purchase from what came before it"
  "$BUILD/src/recommend/recommend_eval" "$TB/UserBehavior_sample_$sample.csv" --buy
  echo
  echo "(the same with the behaviour weights: pv 1, fav 2, cart 3, buy 4)"
  "$BUILD/src/recommend/recommend_eval" "$TB/UserBehavior_sample_$sample.csv" --buy --weights | tail -n +3
done
