#!/usr/bin/env bash
# Keys and the PII vault on a generated world (issue #6, part 4):
#   - file ingestion with the vault on and off (two runs each, alternating);
#   - holo rekey: wall time, peak memory, keys and pseudonyms mapped; identity quality and
#     every lookup of the world's identifiers before and after must be identical;
#   - holo identity match-vault: time, records, edges, and identity quality after.
#
#   PERSONS=10000 bash bench/keys.sh      # HOLO=build/src/cli/holo WORK=/tmp/holo-keys
#
# Prints Markdown for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
HOLO=${HOLO:-build/src/cli/holo}
WORK=${WORK:-/tmp/holo-keys}
PERSONS=${PERSONS:-10000}
SEED=${SEED:-42}
[ -x "$HOLO" ] || { echo "keys: $HOLO not built (make build)" >&2; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK"
json() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2" | head -1; }
timed() {  # out_file cmd... -> "seconds peak_mib"
  local out=$1
  shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" > "$out" 2> "$WORK/stderr"
  awk '{printf "%s %.0f\n", $1, $2 / 1024}' "$WORK/time"
}
quality() {  # data_dir -> "precision recall f1 recall_vs_truth"
  "$HOLO" eval --data "$1" --truth "$WORK/world/truth.csv" --linkable "$WORK/world/truth_linkable.csv" > "$WORK/eval"
  echo "$(json precision "$WORK/eval") $(json recall "$WORK/eval") $(json f1 "$WORK/eval") $(json recall_vs_truth "$WORK/eval")"
}
lookups() {  # data_dir -> sha256 of every truth identifier's OneID
  tail -n +2 "$WORK/world/truth.csv" | cut -d, -f2,3 | "$HOLO" lookup --data "$1" | sha256sum | cut -c1-16
}

"$HOLO" generate --persons "$PERSONS" --seed "$SEED" --out "$WORK/world" > /dev/null
echo "### Keys and the PII vault ($(date -u +%Y-%m-%d), $PERSONS persons, seed $SEED)"
echo
echo "Machine: nproc $(nproc), $(free -g | awk '/^Mem:/{print $2}') GiB, kernel $(uname -r). Command: \`PERSONS=$PERSONS bash bench/keys.sh\`."
echo
echo "| ingest (--no-resolve) | events/s |"
echo "|---|---:|"
for run in 1 2; do
  for vault in on off; do
    rm -rf "$WORK/ing" "$WORK/ing.keyring"
    flag=(); [ "$vault" = off ] && flag=(--no-vault)
    "$HOLO" ingest --no-resolve "${flag[@]}" --data "$WORK/ing" "$WORK/world" > "$WORK/out" 2> /dev/null
    echo "| vault $vault, run $run | $(printf "%.0f" "$(json events_per_sec "$WORK/out")") |"
  done
done
rm -rf "$WORK/ing" "$WORK/ing.keyring"

"$HOLO" ingest --data "$WORK/data" "$WORK/world" > "$WORK/out" 2> /dev/null
events=$(json stored "$WORK/out")
read -r p0 r0 f0 t0 < <(quality "$WORK/data")
l0=$(lookups "$WORK/data")
read -r secs mib < <(timed "$WORK/rekey" "$HOLO" rekey --data "$WORK/data")
read -r p1 r1 f1 t1 < <(quality "$WORK/data")
l1=$(lookups "$WORK/data")
echo
echo "| step | wall s | peak MiB | detail | precision | recall | F1 | recall vs all true pairs |"
echo "|---|---:|---:|---|---:|---:|---:|---:|"
echo "| before | | | $events events | $p0 | $r0 | $f0 | $t0 |"
echo "| holo rekey | $secs | $mib | $(json keys "$WORK/rekey") keys, $(json pseudonyms "$WORK/rekey") pseudonyms, $(json vault_entries "$WORK/rekey") vault entries, $(json profiles "$WORK/rekey") profiles; lookups of all truth identifiers $( [ "$l0" = "$l1" ] && echo identical || echo DIFFERENT) | $p1 | $r1 | $f1 | $t1 |"
read -r secs mib < <(timed "$WORK/match" "$HOLO" identity match-vault --data "$WORK/data")
summary=$(grep -o '[0-9,]* vault records.*' "$WORK/stderr" | head -1)
read -r p2 r2 f2 t2 < <(quality "$WORK/data")
echo "| holo identity match-vault | $secs | $mib | $summary; $(json merges "$WORK/match") merges, $(json refused_merges "$WORK/match") refused | $p2 | $r2 | $f2 | $t2 |"
