#!/usr/bin/env bash
# Defining a computed trait (`holo trait define`, through the event index) beside the same three
# aggregates in SQLite (with an index on the event name) and ClickHouse 18.16 (MergeTree ordered
# by event name), on the same events (issue 15, item 5).
#
#   bash bench/trait_bench.sh HOLO_BINARY PERSONS WORKDIR
#   bash bench/trait_bench.sh /tmp/holo-bench 50000 /tmp/tb50k
#
# Environment (defaults in brackets):
#   REPEAT [3]       timed runs of each query in each system; the table shows the median
#                    (holo: REPEAT defines of the same expression under new names, NAME, NAME_r2, ...)
#   CH_THREADS [2]   ClickHouse max_threads (it detects 1 physical core on this VM and would use 1)
#   KEEP [0]         1: keep WORKDIR's store, CSV, SQLite file and ClickHouse data afterwards
#
# Steps, all in WORKDIR (HOLO_NOW=2026-11-01T00:00:00Z for every holo command: the world ends there):
#   1. holo generate --persons N --seed 42; holo ingest (timed).
#      Then `holo stats` once, timed on its own: the first open after an ingest replays the
#      write-ahead log that the ingest left behind (see "first open" in the table), which is no
#      part of defining a trait. Then `holo resolve --full` (the old way to add a trait: rebuild
#      every profile from every event), timed, before any computed trait exists.
#   2. The three traits with `holo trait define` (a) count(Order Completed where category =
#      "luxury", 90d), (b) sum(Order Completed.price where category = "luxury", all),
#      (c) count(Product Viewed, 30d). Holo time = wall time of the whole CLI process (open the
#      store, scan the named events' rows of the event index, write the trait's column: the
#      OneIDs with a value; close); "core" is the time holo itself prints for reading + writing.
#   3. holo export profiles / export events -> CSV (oneid,event,ts_ms,category,price,seq) with a
#      Node.js script (written into WORKDIR; no npm packages). Only track events (type 2), as
#      computed traits read only those. Order Completed gives one row per item of
#      properties.products[] with the item's category and price; other events one row with empty
#      category/price. The OneID of an event is found as Holo attributes it (profile_builder.cc
#      AttributionIndex): the identifier of lowest rank (user_id@* < email/phone < device_id <
#      ad_id < mac < anonymous_id@*/cookie < others), placeholders skipped, first on ties, looked
#      up in the identifiers the profiles export; events whose owner is in no profile are dropped
#      (Holo skips them too). The script also counts the events where the "first identifier that
#      maps" rule would give another OneID.
#   4. SQLite: .import the CSV, CREATE INDEX ON events(event), then each query REPEAT times in one
#      sqlite3 process; time = ".timer on" "Run Time: real" of the query alone (results written
#      with .once to a file).
#   5. ClickHouse 18.16 (apt-get installed when missing; run as a plain process with its own
#      config on two free loopback ports in WORKDIR, stopped on exit): MergeTree ORDER BY (event,
#      oneid, ts_ms), INSERT the CSV, OPTIMIZE FINAL, each query REPEAT times; time =
#      `clickhouse-client --time` (the query as the client sees it, not the client's start).
#   6. Agreement: per query, each system's per-OneID values (non-zero ones) compared; plus the
#      issue's two checks: OneIDs with (a) >= 1 (Holo: `holo segment count --expr`) and the total
#      of (b) (Holo: the sum of the trait over `holo export profiles`).
#   7. The table (markdown) on stdout and in WORKDIR/results/summary.md.
# Count semantics as in computed_trait.h: count counts matching events (an order with two luxury
# items counts once: COUNT(DISTINCT seq)); sum adds the prices of the matching items only.
# Windows: ts in (as_of - window, as_of], as_of = 2026-11-01T00:00:00Z = 1793491200000 ms.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/clickhouse_config.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/trait_queries.sh"

die() { echo "trait_bench: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

[ $# -eq 3 ] || die "usage: bash bench/trait_bench.sh HOLO_BINARY PERSONS WORKDIR"
HOLO=$(readlink -f "$1")
PERSONS=$2
W=$(mkdir -p "$3" && cd "$3" && pwd)
[ -x "$HOLO" ] || die "$HOLO is not an executable"
[[ "$PERSONS" =~ ^[0-9]+$ ]] || die "PERSONS must be a number"
REPEAT=${REPEAT:-3}
CH_THREADS=${CH_THREADS:-2}
KEEP=${KEEP:-0}
SEED=42
export HOLO_NOW=2026-11-01T00:00:00Z
[ "$(date -u -d "$HOLO_NOW" +%s)000" = "$AS_OF_MS" ] || die "as_of does not match HOLO_NOW"
command -v node > /dev/null || die "node is needed"
command -v sqlite3 > /dev/null || die "sqlite3 is needed"

D=$W/data
R=$W/results
CSV=$W/events.csv
DB=$W/events.sqlite
CH_DIR=$W/clickhouse
CH_PID=""
rm -rf "$W/world" "$D" "$D.keyring" "$R" "$CSV" "$DB" "$CH_DIR"
mkdir -p "$R"

stop_clickhouse() {
  if [ -n "$CH_PID" ] && kill -0 "$CH_PID" 2> /dev/null; then
    kill "$CH_PID" 2> /dev/null || true
    for _ in $(seq 150); do kill -0 "$CH_PID" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$CH_PID" 2> /dev/null || true
  fi
  CH_PID=""
}
cleanup() {
  stop_clickhouse
  if [ "$KEEP" != 1 ]; then rm -rf "$W/world" "$D" "$D.keyring" "$CSV" "$DB" "$CH_DIR" "$R/profiles.jsonl"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# timed LOG CMD...: runs CMD with stdout+stderr to LOG, prints its wall seconds; fails loudly.
timed() {
  local logf=$1 t0
  shift
  t0=$(now)
  "$@" > "$logf" 2>&1 || { tail -20 "$logf" >&2; die "failed: $*"; }
  since "$t0"
}
jfield() { node -e 'const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(o[process.argv[2]] ?? "?")' "$1" "$2"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit } print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo -e "step\tseconds" > "$R/steps.tsv"
step() { echo -e "$1\t$2" >> "$R/steps.tsv"; log "$1: $2 s"; }

# The queries (Q_ID, Q_TRAIT, Q_EXPR, Q_SQL): bench/lib/trait_queries.sh.

# --- 1. World, ingest, first open, full rebuild -------------------------------------------
log "holo $("$HOLO" --version 2>&1 | head -1); $PERSONS persons, REPEAT=$REPEAT, workdir $W"
step generate_s "$(timed "$R/generate.log" "$HOLO" generate --persons "$PERSONS" --seed "$SEED" --out "$W/world")"
step ingest_s "$(timed "$R/ingest.log" "$HOLO" ingest --data "$D" "$W/world")"
tail -1 "$R/ingest.log" > "$R/ingest.json"
step first_open_stats_s "$(timed "$R/stats1.log" "$HOLO" stats --data "$D")"
step second_open_stats_s "$(timed "$R/stats2.log" "$HOLO" stats --data "$D")"
step resolve_full_s "$(timed "$R/resolve_full.log" "$HOLO" resolve --full --data "$D")"
rm -rf "$W/world"  # the store holds the events now; the world files only take space

# --- 2. holo trait define ------------------------------------------------------------------
echo -e "query\trun\ttrait\twall_s\tcore_s\tevents\tvalues" > "$R/holo.tsv"
for qi in 0 1 2; do
  for r in $(seq "$REPEAT"); do
    name=${Q_TRAIT[qi]}
    [ "$r" -eq 1 ] || name=${name}_r$r
    t=$(timed "$R/define_${Q_ID[qi]}_$r.log" "$HOLO" trait define --data "$D" "$name" "${Q_EXPR[qi]}")
    # "traits: NAME from N 'EVENT' events into M profiles in S s (T threads)"
    line=$(grep -m1 '^traits: ' "$R/define_${Q_ID[qi]}_$r.log") || die "no 'traits:' line from holo trait define (not the event-index path?)"
    core=$(sed -E 's/.* profiles in ([0-9.]+) s.*/\1/' <<< "$line")
    nev=$(awk '{ print $4 }' <<< "$line")
    nprof=$(sed -E 's/.* into ([0-9]+) profiles.*/\1/' <<< "$line")
    echo -e "${Q_ID[qi]}\t$r\t$name\t$t\t$core\t$nev\t$nprof" >> "$R/holo.tsv"
    log "holo define ${Q_ID[qi]} run $r: $t s (core $core s, $nev events)"
  done
done
"$HOLO" segment count --data "$D" --expr "${Q_TRAIT[0]} >= 1" > "$R/holo_segment_count_a.txt" 2> "$R/segment_count.log"
"$HOLO" stats --data "$D" > "$R/stats_after.json" 2>&1 || true

# --- 3. Export -> CSV ----------------------------------------------------------------------
cat > "$W/trait_bench.js" <<'EOF'
// node trait_bench.js csv PROFILES < events.jsonl > events.csv   (summary JSON on stderr)
// node trait_bench.js holo PROFILES OUTDIR TRAIT...                (OUTDIR/holo_TRAIT.tsv: oneid\tvalue, non-zero only)
'use strict';
const fs = require('fs');
const readline = require('readline');
const [mode, profilesPath] = process.argv.slice(2, 4);

function rank(type) {  // profile_builder.cc AttributionRank
  if (type.startsWith('user_id@')) return 0;
  if (type === 'email' || type === 'phone') return 1;
  if (type === 'device_id') return 2;
  if (type === 'ad_id') return 3;
  if (type === 'mac') return 4;
  if (type.startsWith('anonymous_id@') || type === 'cookie') return 5;
  return 6;
}
function csvField(s) {
  s = String(s);
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}
async function lines(stream, f) {
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of rl) if (line.length) f(line);
}

async function main() {
  if (mode === 'holo') {
    const [outDir, ...traits] = process.argv.slice(4);
    const out = traits.map(() => []);
    await lines(fs.createReadStream(profilesPath), (line) => {
      const p = JSON.parse(line);
      traits.forEach((t, i) => {
        const v = p.traits ? p.traits[t] : undefined;
        if (typeof v === 'number' && v !== 0) out[i].push(p.oneid + '\t' + v);
      });
    });
    traits.forEach((t, i) => fs.writeFileSync(`${outDir}/holo_${t}.tsv`, out[i].join('\n') + (out[i].length ? '\n' : '')));
    return;
  }
  if (mode !== 'csv') throw new Error('mode csv or holo');
  const owner = new Map();  // pseudonym hex -> OneID
  await lines(fs.createReadStream(profilesPath), (line) => {
    const p = JSON.parse(line);
    for (const list of Object.values(p.identifiers || {})) for (const h of list) owner.set(h, p.oneid);
  });
  const s = { profiles_identifiers: owner.size, events: 0, track_events: 0, rows: 0, attributed: 0,
              owner_not_in_profiles: 0, no_identifier: 0, first_mapping_rule_differs: 0,
              first_mapping_rule_would_attribute: 0 };
  let buf = 'oneid,event,ts_ms,category,price,seq\n';
  const flush = (force) => { if (force || buf.length > (1 << 20)) { fs.writeSync(1, buf); buf = ''; } };
  await lines(process.stdin, (line) => {
    const e = JSON.parse(line);
    s.events++;
    if (e.type !== 2) return;
    s.track_events++;
    let best = -1, bestRank = 1 << 30;
    e.ids.forEach((id, i) => {
      if (id.placeholder) return;
      const r = rank(id.type);
      if (r < bestRank) { best = i; bestRank = r; }
    });
    const first = e.ids.find((id) => owner.has(id.pseudonym));
    const firstOneid = first ? owner.get(first.pseudonym) : undefined;
    if (best < 0) { s.no_identifier++; if (firstOneid !== undefined) s.first_mapping_rule_would_attribute++; return; }
    const oneid = owner.get(e.ids[best].pseudonym);
    if (oneid === undefined) { s.owner_not_in_profiles++; if (firstOneid !== undefined) s.first_mapping_rule_would_attribute++; return; }
    if (firstOneid !== oneid) s.first_mapping_rule_differs++;
    s.attributed++;
    const ts = Date.parse(e.timestamp);
    const head = oneid + ',' + csvField(e.event) + ',' + ts + ',';
    const products = e.properties && e.properties.products;
    if (e.event === 'Order Completed' && Array.isArray(products) && products.length) {
      for (const item of products) {
        const cat = item && typeof item.category === 'string' ? csvField(item.category) : '';
        const price = item && typeof item.price === 'number' ? String(item.price) : '';
        buf += head + cat + ',' + price + ',' + e.seq + '\n';
        s.rows++;
      }
    } else {
      buf += head + ',,' + e.seq + '\n';
      s.rows++;
    }
    flush(false);
  });
  flush(true);
  process.stderr.write(JSON.stringify(s) + '\n');
}
main().catch((err) => { console.error(err); process.exit(1); });
EOF
log "exporting profiles and events"
t0=$(now)
"$HOLO" export profiles --data "$D" > "$R/profiles.jsonl" 2> "$R/export_profiles.log" || die "export profiles failed"
step export_profiles_s "$(since "$t0")"
t0=$(now)
"$HOLO" export events --data "$D" 2> "$R/export_events.log" | node "$W/trait_bench.js" csv "$R/profiles.jsonl" > "$CSV" 2> "$R/convert.json" \
  || { cat "$R/export_events.log" "$R/convert.json" >&2; die "export events | convert failed"; }
step export_events_to_csv_s "$(since "$t0")"
log "convert: $(cat "$R/convert.json")"
CSV_ROWS=$(($(wc -l < "$CSV") - 1))
node "$W/trait_bench.js" holo "$R/profiles.jsonl" "$R" "${Q_TRAIT[@]}"

# --- 4. SQLite -----------------------------------------------------------------------------
SQLITE_VERSION=$(sqlite3 --version | cut -d' ' -f1)
log "SQLite $SQLITE_VERSION: loading $CSV_ROWS rows"
t0=$(now)
sqlite3 "$DB" > "$R/sqlite_load.log" 2>&1 <<EOF
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE events (oneid INTEGER, event TEXT, ts_ms INTEGER, category TEXT, price REAL, seq INTEGER);
.import --csv --skip 1 $CSV events
EOF
step sqlite_load_s "$(since "$t0")"
t0=$(now)
sqlite3 "$DB" "CREATE INDEX events_event ON events(event);"
step sqlite_index_s "$(since "$t0")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM events")" -eq "$CSV_ROWS" ] || die "SQLite holds the wrong number of rows"
{
  echo ".mode tabs"
  echo ".timer on"
  for qi in 0 1 2; do
    for r in $(seq "$REPEAT"); do
      echo ".once $R/sqlite_${Q_ID[qi]}_$r.tsv"
      echo "${Q_SQL[qi]};"
    done
  done
} > "$R/sqlite_queries.sql"
sqlite3 "$DB" < "$R/sqlite_queries.sql" > "$R/sqlite_timer.out" 2>&1
grep '^Run Time: real' "$R/sqlite_timer.out" | awk '{ print $4 }' > "$R/sqlite_times.txt"
[ "$(wc -l < "$R/sqlite_times.txt")" -eq $((3 * REPEAT)) ] || { cat "$R/sqlite_timer.out" >&2; die "could not read sqlite3's timer"; }
sqlite3 "$DB" "EXPLAIN QUERY PLAN ${Q_SQL[0]};" > "$R/sqlite_plan_a.txt"
echo -e "query\trun\tseconds" > "$R/sqlite.tsv"
i=0
while read -r secs; do
  echo -e "${Q_ID[i / REPEAT]}\t$((i % REPEAT + 1))\t$secs" >> "$R/sqlite.tsv"
  i=$((i + 1))
done < "$R/sqlite_times.txt"
DB_BYTES=$(stat -c %s "$DB")

# --- 5. ClickHouse -------------------------------------------------------------------------
if ! command -v clickhouse-server > /dev/null || ! command -v clickhouse-client > /dev/null; then
  [ "$(id -u)" -eq 0 ] || die "clickhouse-server is not installed and this is not root"
  log "installing clickhouse-server clickhouse-client (Debian)"
  apt-get install -y clickhouse-server clickhouse-client > "$R/apt.log" 2>&1 || { tail "$R/apt.log" >&2; die "apt-get install failed"; }
fi
pick_clickhouse_ports || die "no two free loopback ports found"
write_clickhouse_config "$CH_DIR" "$CH_HTTP_PORT" "$CH_TCP_PORT" "$CH_THREADS"
log "ClickHouse: starting on 127.0.0.1:$CH_TCP_PORT (http $CH_HTTP_PORT)"
t0=$(now)
clickhouse-server --config-file="$CH_DIR/config.xml" > "$CH_DIR/stdout.log" 2>&1 &
CH_PID=$!
chc() { clickhouse-client --host 127.0.0.1 --port "$CH_TCP_PORT" "$@"; }
for i in $(seq 300); do
  chc --query "SELECT 1" > /dev/null 2>&1 && break
  kill -0 "$CH_PID" 2> /dev/null || { cat "$CH_DIR/stdout.log" "$CH_DIR/log/server.err.log" >&2 || true; die "clickhouse-server exited"; }
  [ "$i" -lt 300 ] || die "clickhouse-server did not answer within 30 s"
  sleep 0.1
done
step clickhouse_start_s "$(since "$t0")"
CH_VERSION=$(chc --query "SELECT version()")
chc --query "CREATE TABLE events (oneid UInt64, event String, ts_ms Int64, category String, price Float64, seq UInt64) ENGINE = MergeTree() ORDER BY (event, oneid, ts_ms)"
t0=$(now)
chc --query "INSERT INTO events FORMAT CSVWithNames" < "$CSV"
step clickhouse_load_s "$(since "$t0")"
t0=$(now)
chc --query "OPTIMIZE TABLE events FINAL"
step clickhouse_optimize_s "$(since "$t0")"
[ "$(chc --query "SELECT count() FROM events")" -eq "$CSV_ROWS" ] || die "ClickHouse holds the wrong number of rows"
CH_BYTES=$(chc --query "SELECT sum(bytes_on_disk) FROM system.parts WHERE table = 'events' AND active")
echo -e "query\trun\tseconds" > "$R/clickhouse.tsv"
for qi in 0 1 2; do
  for r in $(seq "$REPEAT"); do
    chc --time --query "${Q_SQL[qi]} FORMAT TabSeparated" > "$R/clickhouse_${Q_ID[qi]}_$r.tsv" 2> "$R/clickhouse_time.txt" \
      || { cat "$R/clickhouse_time.txt" >&2; die "ClickHouse failed query ${Q_ID[qi]}"; }
    echo -e "${Q_ID[qi]}\t$r\t$(tail -1 "$R/clickhouse_time.txt")" >> "$R/clickhouse.tsv"
  done
done
stop_clickhouse

# --- 6. Agreement --------------------------------------------------------------------------
# norm FILE: oneid<TAB>value, value rounded to 4 decimals, zero values dropped, sorted.
norm() { awk -F'\t' '$2 + 0 != 0 { printf "%s\t%.4f\n", $1, $2 }' "$1" | LC_ALL=C sort; }
echo -e "query\tholo_oneids\tsqlite_oneids\tclickhouse_oneids\tholo_total\tsqlite_total\tclickhouse_total\tsqlite_vs_holo_diff_oneids\tclickhouse_vs_holo_diff_oneids" > "$R/agreement.tsv"
AGREE=1
for qi in 0 1 2; do
  q=${Q_ID[qi]}
  norm "$R/holo_${Q_TRAIT[qi]}.tsv" > "$R/n_holo_$q.tsv"
  norm "$R/sqlite_${q}_1.tsv" > "$R/n_sqlite_$q.tsv"
  norm "$R/clickhouse_${q}_1.tsv" > "$R/n_clickhouse_$q.tsv"
  tot() { awk -F'\t' '{ s += $2 } END { printf "%.2f", s }' "$1"; }
  dif() { LC_ALL=C comm -3 "$1" "$2" | awk -F'\t' '{ print ($1 != "" ? $1 : $2) }' | sort -u | wc -l; }
  ds=$(dif "$R/n_holo_$q.tsv" "$R/n_sqlite_$q.tsv")
  dc=$(dif "$R/n_holo_$q.tsv" "$R/n_clickhouse_$q.tsv")
  [ "$ds" -eq 0 ] && [ "$dc" -eq 0 ] || AGREE=0
  echo -e "$q\t$(wc -l < "$R/n_holo_$q.tsv")\t$(wc -l < "$R/n_sqlite_$q.tsv")\t$(wc -l < "$R/n_clickhouse_$q.tsv")\t$(tot "$R/n_holo_$q.tsv")\t$(tot "$R/n_sqlite_$q.tsv")\t$(tot "$R/n_clickhouse_$q.tsv")\t$ds\t$dc" >> "$R/agreement.tsv"
done
SEG_A=$(tr -d '[:space:]' < "$R/holo_segment_count_a.txt")
HOLO_A=$(awk -F'\t' '$1 == "a" { print $2 }' "$R/agreement.tsv")
[ "$SEG_A" = "$HOLO_A" ] || AGREE=0

# --- 7. Table ------------------------------------------------------------------------------
med() { awk -F'\t' -v q="$2" -v c="$3" 'NR > 1 && $1 == q { print $c }' "$1" | median; }
{
  echo "#### $PERSONS persons ($(jfield "$R/ingest.json" stored) events stored; $CSV_ROWS CSV rows from $(jfield "$R/convert.json" attributed) attributed track events)"
  echo
  echo "Median of $REPEAT runs. holo = wall time of the whole \`holo trait define\` process; holo core = the time it prints for scanning the event index and writing the trait (its column: the OneIDs with a value); SQLite = \`.timer on\` real time of the query alone (index on event); ClickHouse $CH_VERSION = \`clickhouse-client --time\` (max_threads=$CH_THREADS, MergeTree ORDER BY (event, oneid, ts_ms)). Ratio = other / holo (>= 1: holo faster)."
  echo
  echo "| query | events read by holo | holo define s | holo core s | SQLite (index) s | ClickHouse s | SQLite / holo | ClickHouse / holo |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for qi in 0 1 2; do
    q=${Q_ID[qi]}
    h=$(med "$R/holo.tsv" "$q" 4); hc=$(med "$R/holo.tsv" "$q" 5); nev=$(med "$R/holo.tsv" "$q" 6)
    s=$(med "$R/sqlite.tsv" "$q" 3); c=$(med "$R/clickhouse.tsv" "$q" 3)
    awk -v q="$q" -v e="${Q_EXPR[qi]}" -v n="$nev" -v h="$h" -v hc="$hc" -v s="$s" -v c="$c" 'BEGIN {
      printf "| (%s) `%s` | %d | %.3f | %.3f | %.3f | %.3f | %.3g | %.3g |\n", q, e, n, h, hc, s, c, s / h, c / h }'
  done
  echo
  echo "All runs (seconds): holo $(awk -F'\t' 'NR > 1 { printf "%s%s=%s", (NR > 2 ? ", " : ""), $1, $4 }' "$R/holo.tsv"); SQLite $(awk -F'\t' 'NR > 1 { printf "%s%s=%s", (NR > 2 ? ", " : ""), $1, $3 }' "$R/sqlite.tsv"); ClickHouse $(awk -F'\t' 'NR > 1 { printf "%s%s=%s", (NR > 2 ? ", " : ""), $1, $3 }' "$R/clickhouse.tsv")."
  echo
  echo "| step | seconds |"
  echo "|---|---:|"
  awk -F'\t' 'NR > 1 { printf "| %s | %s |\n", $1, $2 }' "$R/steps.tsv"
  echo
  echo "SQLite file $DB_BYTES bytes; ClickHouse parts $CH_BYTES bytes."
  echo
  echo "Agreement (non-zero per-OneID values, rounded to 1e-4; *diff* = OneIDs whose value differs from holo's or that only one side has):"
  echo
  echo "| query | OneIDs holo / SQLite / ClickHouse | total holo / SQLite / ClickHouse | diff SQLite | diff ClickHouse |"
  echo "|---|---|---|---:|---:|"
  awk -F'\t' 'NR > 1 { printf "| (%s) | %s / %s / %s | %s / %s / %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$R/agreement.tsv"
  echo
  echo "\`holo segment count --expr '${Q_TRAIT[0]} >= 1'\` = $SEG_A. Attribution: $(cat "$R/convert.json")."
  echo
  [ "$AGREE" = 1 ] && echo "All three systems agree on every OneID of every query." || echo "**The systems disagree; see $R/n_*.tsv.**"
} > "$R/summary.md"
cat "$R/summary.md"
[ "$AGREE" = 1 ] || exit 1
