#!/usr/bin/env bash
# Re-times the three trait queries of bench/trait_bench.sh on a workdir it kept (KEEP=1), with
# the three systems interleaved round by round — holo define (a), SQLite (a), ClickHouse (a),
# holo (b), ... — so that a change of load on a shared machine hits all three alike. Nothing
# is loaded or converted again: the holo store, the SQLite file and the ClickHouse data of
# WORKDIR are reused (each holo define adds a trait under a new name).
#
#   bash bench/trait_rerun.sh HOLO_BINARY WORKDIR [ROUNDS]
#   bash bench/trait_rerun.sh /tmp/holo-bench /tmp/tb50k 7
#
# Prints, per query and system, the median and the minimum of ROUNDS (default 7) runs, with
# the same timing rules as trait_bench.sh (holo: whole process and the core time it prints;
# SQLite: ".timer on" real time of the query; ClickHouse: clickhouse-client --time), and the
# load average before and after. Also checks that holo's last define of each query agrees
# with SQLite's result (per-OneID values, as trait_bench.sh does).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/clickhouse_config.sh"

die() { echo "trait_rerun: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
[ $# -ge 2 ] || die "usage: bash bench/trait_rerun.sh HOLO_BINARY WORKDIR [ROUNDS]"
HOLO=$(readlink -f "$1")
W=$(readlink -f "$2")
ROUNDS=${3:-7}
D=$W/data
DB=$W/events.sqlite
CH_DIR=$W/clickhouse
R=$W/rerun
[ -d "$D" ] && [ -f "$DB" ] && [ -d "$CH_DIR/data" ] || die "$W is not a workdir kept by trait_bench.sh (KEEP=1)"
mkdir -p "$R"
export HOLO_NOW=2026-11-01T00:00:00Z
source "$(dirname "${BASH_SOURCE[0]}")/lib/trait_queries.sh"

pick_clickhouse_ports || die "no two free loopback ports found"
write_clickhouse_config "$CH_DIR" "$CH_HTTP_PORT" "$CH_TCP_PORT" "${CH_THREADS:-2}"
clickhouse-server --config-file="$CH_DIR/config.xml" > "$CH_DIR/stdout.log" 2>&1 &
CH_PID=$!
trap 'kill "$CH_PID" 2> /dev/null; wait "$CH_PID" 2> /dev/null || true' EXIT
chc() { clickhouse-client --host 127.0.0.1 --port "$CH_TCP_PORT" "$@"; }
for i in $(seq 300); do
  chc --query "SELECT 1" > /dev/null 2>&1 && break
  kill -0 "$CH_PID" 2> /dev/null || die "clickhouse-server exited (see $CH_DIR/log)"
  [ "$i" -lt 300 ] || die "clickhouse-server did not answer within 30 s"
  sleep 0.1
done
chc --query "SELECT count() FROM events" > /dev/null

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo -e "query\tround\tsystem\tseconds" > "$R/times.tsv"
tag=$(date +%H%M%S)
for r in $(seq "$ROUNDS"); do
  for qi in 0 1 2; do
    q=${Q_ID[qi]}
    t0=$(now)
    "$HOLO" trait define --data "$D" "rerun_${tag}_${q}_$r" "${Q_EXPR[qi]}" > "$R/define_${q}_$r.log" 2>&1 || die "holo define $q failed"
    wall=$(since "$t0")
    core=$(grep -m1 '^traits: ' "$R/define_${q}_$r.log" | sed -E 's/.* profiles in ([0-9.]+) s.*/\1/')
    echo -e "$q\t$r\tholo_define\t$wall" >> "$R/times.tsv"
    echo -e "$q\t$r\tholo_core\t$core" >> "$R/times.tsv"
    printf '.mode tabs\n.timer on\n.once %s\n%s;\n' "$R/sqlite_$q.tsv" "${Q_SQL[qi]}" | sqlite3 "$DB" > "$R/sqlite_timer.out" 2>&1
    echo -e "$q\t$r\tsqlite\t$(awk '/^Run Time: real/ { print $4 }' "$R/sqlite_timer.out")" >> "$R/times.tsv"
    chc --time --query "${Q_SQL[qi]} FORMAT TabSeparated" > "$R/clickhouse_$q.tsv" 2> "$R/clickhouse_time.txt" || die "ClickHouse failed query $q"
    echo -e "$q\t$r\tclickhouse\t$(tail -1 "$R/clickhouse_time.txt")" >> "$R/times.tsv"
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# Agreement of holo's last define of each query with SQLite (non-zero values, 1e-4).
"$HOLO" export profiles --data "$D" > "$R/profiles.jsonl" 2> /dev/null
norm() { awk -F'\t' '$2 + 0 != 0 { printf "%s\t%.4f\n", $1, $2 }' "$1" | LC_ALL=C sort; }
AGREE=yes
for qi in 0 1 2; do
  q=${Q_ID[qi]}
  # Streamed line by line: a workdir re-timed many times holds hundreds of traits, and its
  # export outgrows what one string can hold.
  node -e '
    const [file, trait] = process.argv.slice(1);
    const lines = require("readline").createInterface({ input: require("fs").createReadStream(file) });
    lines.on("line", (line) => {
      if (!line) return;
      const p = JSON.parse(line);
      const v = p.traits && p.traits[trait];
      if (typeof v === "number" && v !== 0) console.log(p.oneid + "\t" + v);
    });' "$R/profiles.jsonl" "rerun_${tag}_${q}_$ROUNDS" > "$R/holo_$q.tsv"
  if ! diff -q <(norm "$R/holo_$q.tsv") <(norm "$R/sqlite_$q.tsv") > /dev/null; then AGREE="NO ($q differs)"; fi
done

echo "holo $("$HOLO" --version 2>&1 | head -1), $ROUNDS interleaved rounds, load $LOAD_BEFORE -> $LOAD_AFTER; agreement with SQLite: $AGREE"
echo
echo "| query | system | median s | min s | all runs |"
echo "|---|---|---:|---:|---|"
for q in a b c; do
  for sys in holo_define holo_core sqlite clickhouse; do
    vals=$(awk -F'\t' -v q="$q" -v s="$sys" '$1 == q && $3 == s { print $4 }' "$R/times.tsv")
    med=$(sort -g <<< "$vals" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    min=$(sort -g <<< "$vals" | head -1)
    echo "| ($q) | $sys | $med | $min | $(paste -sd' ' <<< "$vals") |"
  done
done
