#!/usr/bin/env bash
# Side by side on the same profile table: Holo's segment engine (Roaring bitmaps
# over trait indexes, bench/segment_bench) vs ClickHouse 18.16 (MergeTree) and
# SQLite 3.40 (without and with indexes), all from Debian packages, one machine.
#
#   bash bench/segment_side_by_side.sh                   # 10,000,000 rows, 20 repeats
#   ROWS=1000000 REPEAT=20 bash bench/segment_side_by_side.sh
#
# Environment (defaults in brackets):
#   HOLO_BUILD [/work/main/build]  build dir holding bench/segment_bench (built with ninja if absent)
#   WORK [/tmp/holo-sbs]           work dir: the table, ClickHouse's private dirs, the SQLite file
#   ROWS [10000000]  SEED [42]  REPEAT [20]
#   CH_HTTP_PORT [18123]  CH_TCP_PORT [19000]   loopback-only ports of the private ClickHouse
#   CH_THREADS [2]                 ClickHouse max_threads (it detects 1 physical core here)
#   CH_LOWCARD [1]                 string columns with <= 1000 distinct values as
#                                  LowCardinality(String) (experimental in 18.16); 0: String
#   SQLITE_INDEXES [1]             also index the filtered columns and rerun SQLite
#   REFRESH [1]                    also run segment_bench's incremental-refresh figure
#   KEEP [0]                       keep the TSV, ClickHouse data and SQLite file afterwards
#
# Every query runs once as a warm-up and then REPEAT timed times in each system:
#   Holo:       timed inside one segment_bench process (no startup, no parsing of output).
#   ClickHouse: HTTP POSTs on loopback, one curl process per query whose runs share
#               one kept-alive connection; the time is curl's %{time_total}, so it
#               includes the HTTP round trip (the "SELECT 1" floor is printed) but
#               neither curl's process startup nor the TCP connect.
#   SQLite:     one sqlite3 process, ".timer on", "Run Time: real" (1 ms resolution).
# p50/p99/min are nearest-rank percentiles of the REPEAT runs (p99 of 20 runs = max).
# The counts of every query must agree across all systems, otherwise the script
# prints the table and exits 1. Needs: scripts/setup_bench.sh (apt-get only).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib/clickhouse_config.sh
REPO=$PWD
HOLO_BUILD=${HOLO_BUILD:-/work/main/build}
SEGMENT_BENCH=${SEGMENT_BENCH:-$HOLO_BUILD/bench/segment_bench}
HOLO_QUERIES=${HOLO_QUERIES:-$REPO/bench/segment_queries.txt}
SQL_QUERIES=${SQL_QUERIES:-$REPO/bench/segment_queries.sql}
WORK=${WORK:-/tmp/holo-sbs}
ROWS=${ROWS:-10000000}
SEED=${SEED:-42}
REPEAT=${REPEAT:-20}
CH_HTTP_PORT=${CH_HTTP_PORT:-18123}
CH_TCP_PORT=${CH_TCP_PORT:-19000}
CH_THREADS=${CH_THREADS:-2}
CH_LOWCARD=${CH_LOWCARD:-1}
SQLITE_INDEXES=${SQLITE_INDEXES:-1}
REFRESH=${REFRESH:-1}
KEEP=${KEEP:-0}
PY=/usr/bin/python3
COMMAND="HOLO_BUILD=$HOLO_BUILD ROWS=$ROWS REPEAT=$REPEAT SEED=$SEED CH_THREADS=$CH_THREADS CH_LOWCARD=$CH_LOWCARD bash bench/segment_side_by_side.sh"

die() { echo "segment_side_by_side: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

bash scripts/setup_bench.sh
if [ ! -x "$SEGMENT_BENCH" ]; then
  [ -f "$HOLO_BUILD/build.ninja" ] || die "$SEGMENT_BENCH missing; configure $HOLO_BUILD first (cmake -S . -B $HOLO_BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release)"
  log "building segment_bench in $HOLO_BUILD"
  ninja -C "$HOLO_BUILD" segment_bench >&2
fi
[ -f "$HOLO_QUERIES" ] || die "$HOLO_QUERIES missing"
mapfile -t SQL < <(grep -v '^[[:space:]]*$' "$SQL_QUERIES")
NQ=${#SQL[@]}
[ "$NQ" -eq "$(grep -cv '^[[:space:]]*$' "$HOLO_QUERIES")" ] || die "$SQL_QUERIES and $HOLO_QUERIES hold different numbers of queries"

TABLE=$WORK/segment_profiles.tsv
CH_DIR=$WORK/clickhouse
SQLITE_DB=$WORK/segment_profiles.sqlite
RES=$WORK/segment_results
CH_PID=""
mkdir -p "$WORK"
rm -rf "$CH_DIR" "$RES" "$SQLITE_DB"
mkdir -p "$RES"

stop_clickhouse() {
  if [ -n "$CH_PID" ] && kill -0 "$CH_PID" 2>/dev/null; then
    kill "$CH_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$CH_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$CH_PID" 2>/dev/null || true
  fi
  CH_PID=""
}
cleanup() {
  stop_clickhouse
  if [ "$KEEP" != 1 ]; then rm -rf "$CH_DIR" "$SQLITE_DB" "$TABLE"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. The table -------------------------------------------------------------------
log "writing $ROWS rows to $TABLE"
t0=$(now)
"$SEGMENT_BENCH" --write-table "$TABLE" --rows "$ROWS" --seed "$SEED" > "$RES/write_table.out"
echo "write_table_s	$(elapsed "$t0")" >> "$RES/loads.tsv"
table_bytes=$(stat -c %s "$TABLE")
[ "$(($(wc -l < "$TABLE") - 1))" -eq "$ROWS" ] || die "$TABLE does not hold $ROWS rows"

# Column types from one pass over the whole table: the narrowest ClickHouse type
# that holds every value (ints by range, floats, else String, or with CH_LOWCARD=1
# LowCardinality(String) when a column has at most 1000 distinct values), and
# SQLite affinities.
log "inferring column types"
mawk -F'\t' -v lowcard="$CH_LOWCARD" '
NR == 1 { n = NF; for (i = 1; i <= NF; i++) { name[i] = $i; isint[i] = 1; isnum[i] = 1 } next }
{
  for (i = 1; i <= n; i++) {
    v = $i
    if (isint[i] && v !~ /^-?[0-9]+$/) isint[i] = 0
    if (isnum[i] && v !~ /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/) isnum[i] = 0
    if (!isnum[i] && nd[i] <= 1000 && !((i, v) in seen)) { seen[i, v] = 1; nd[i]++ }
    if (isint[i]) { v += 0; if (!(i in lo) || v < lo[i]) lo[i] = v; if (!(i in hi) || v > hi[i]) hi[i] = v }
  }
}
END {
  for (i = 1; i <= n; i++) {
    if (isint[i]) {
      if (lo[i] >= 0) ch = hi[i] <= 255 ? "UInt8" : hi[i] <= 65535 ? "UInt16" : hi[i] <= 4294967295 ? "UInt32" : "UInt64"
      else ch = (lo[i] >= -2147483648 && hi[i] <= 2147483647) ? "Int32" : "Int64"
      lite = "INTEGER"
    } else if (isnum[i]) { ch = "Float64"; lite = "REAL" }
    else { ch = (lowcard == 1 && nd[i] <= 1000) ? "LowCardinality(String)" : "String"; lite = "TEXT" }
    printf "%s\t%s\t%s\n", name[i], ch, lite
  }
}' "$TABLE" > "$RES/schema.tsv"
head -1 "$TABLE" | tr '\t' '\n' | cmp -s - <(cut -f1 "$RES/schema.tsv") || die "schema inference failed"
CH_COLS=$(awk -F'\t' '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }' "$RES/schema.tsv")
LITE_COLS=$(awk -F'\t' '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $3 }' "$RES/schema.tsv")
FIRST_COL=$(head -1 "$RES/schema.tsv" | cut -f1)

# --- 2. Holo ------------------------------------------------------------------------
log "Holo: segment_bench --table ($REPEAT repeats)"
t0=$(now)
"$SEGMENT_BENCH" --table "$TABLE" --repeat "$REPEAT" --queries "$HOLO_QUERIES" > "$RES/holo.out" 2> "$RES/holo.err"
echo "holo_process_s	$(elapsed "$t0")" >> "$RES/loads.tsv"
awk -F'\t' 'NF == 5 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9.eE+-]+$/' "$RES/holo.out" > "$RES/holo.tsv"
[ "$(wc -l < "$RES/holo.tsv")" -eq "$NQ" ] || { cat "$RES/holo.out" "$RES/holo.err" >&2; die "segment_bench printed no result line per query"; }

# --- 3. ClickHouse ------------------------------------------------------------------
CH_URL="http://127.0.0.1:$CH_HTTP_PORT/"
if curl -s -o /dev/null "$CH_URL" 2>/dev/null; then die "something already listens on 127.0.0.1:$CH_HTTP_PORT"; fi
write_clickhouse_config "$CH_DIR" "$CH_HTTP_PORT" "$CH_TCP_PORT" "$CH_THREADS" \
  "
    <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>"
log "ClickHouse: starting on 127.0.0.1:$CH_HTTP_PORT (tcp $CH_TCP_PORT)"
clickhouse-server --config-file="$CH_DIR/config.xml" > "$CH_DIR/stdout.log" 2>&1 &
CH_PID=$!
for i in $(seq 300); do
  curl -s -o /dev/null "${CH_URL}?query=SELECT%201" && break
  kill -0 "$CH_PID" 2>/dev/null || { cat "$CH_DIR/stdout.log" "$CH_DIR/log/server.err.log" >&2 || true; die "clickhouse-server exited"; }
  [ "$i" -lt 300 ] || die "clickhouse-server did not answer within 30 s"
  sleep 0.1
done
ch() { # ch SQL: runs one statement over HTTP, fails loudly on an error
  local out code
  out=$(curl -sS -w '\n%{http_code}' --data-binary "$1" "$CH_URL") || die "curl failed: $1"
  code=${out##*$'\n'}; out=${out%$'\n'*}
  [ "$code" = 200 ] || die "ClickHouse HTTP $code for: $1"$'\n'"$out"
  printf '%s' "$out"
}
CH_VERSION=$(ch "SELECT version()")
ch "CREATE TABLE profiles ($CH_COLS) ENGINE = MergeTree() ORDER BY $FIRST_COL"
log "ClickHouse: loading"
t0=$(now)
clickhouse-client --host 127.0.0.1 --port "$CH_TCP_PORT" --query "INSERT INTO profiles FORMAT TSVWithNames" < "$TABLE"
echo "ch_load_s	$(elapsed "$t0")" >> "$RES/loads.tsv"
t0=$(now)
ch "OPTIMIZE TABLE profiles FINAL"
echo "ch_optimize_s	$(elapsed "$t0")" >> "$RES/loads.tsv"
[ "$(ch "SELECT count() FROM profiles")" -eq "$ROWS" ] || die "ClickHouse holds $(ch "SELECT count() FROM profiles") rows, not $ROWS"
ch "SELECT count(), sum(bytes_on_disk) FROM system.parts WHERE table = 'profiles' AND active" > "$RES/ch_parts.tsv"
log "ClickHouse: $NQ queries x (1 + $REPEAT)"
printf 'SELECT 1' > "$RES/q_floor.sql"
for q in $(seq 0 "$NQ"); do # q = 0 is the HTTP floor, SELECT 1
  if [ "$q" -gt 0 ]; then printf '%s' "${SQL[q-1]}" > "$RES/q.sql"; else cp "$RES/q_floor.sql" "$RES/q.sql"; fi
  # One curl process, 1 + REPEAT POSTs on one kept-alive connection (run 0, the
  # warm-up, also pays the TCP connect).
  args=()
  for r in $(seq 0 "$REPEAT"); do
    [ "$r" -eq 0 ] || args+=(--next)
    args+=(-sS --data-binary @"$RES/q.sql" -o "$RES/body.$r" -w '%{http_code}\t%{time_total}\n' "$CH_URL")
  done
  curl "${args[@]}" > "$RES/curl.out"
  r=0
  while IFS=$'\t' read -r code secs; do
    [ "$code" = 200 ] || die "ClickHouse failed query $q: $(cat "$RES/body.$r")"
    [ "$r" -eq 0 ] || printf '%s\t%s\t%s\n' "$q" "$(tr -d '\n' < "$RES/body.$r")" "$secs" >> "$RES/ch_raw.tsv"
    r=$((r + 1))
  done < "$RES/curl.out"
  [ "$r" -eq "$((REPEAT + 1))" ] || die "curl reported $r of $((REPEAT + 1)) requests for query $q"
done
rm -f "$RES"/body.*
du -sb "$CH_DIR/data" | cut -f1 > "$RES/ch_bytes"
stop_clickhouse

# --- 4. SQLite ----------------------------------------------------------------------
SQLITE_VERSION=$(sqlite3 --version | cut -d' ' -f1)
log "SQLite: loading"
t0=$(now)
sqlite3 "$SQLITE_DB" > /dev/null <<EOF
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE profiles ($LITE_COLS);
.mode ascii
.separator "\t" "\n"
.import --skip 1 $TABLE profiles
EOF
echo "sqlite_load_s	$(elapsed "$t0")" >> "$RES/loads.tsv"
[ "$(sqlite3 "$SQLITE_DB" "SELECT count(*) FROM profiles")" -eq "$ROWS" ] || die "SQLite holds the wrong number of rows"
sqlite_queries() { # sqlite_queries OUT: every query 1 + REPEAT times in one process
  {
    echo "PRAGMA cache_size = -4000000;"   # 4 GB page cache, so repeats read from memory
    echo "PRAGMA case_sensitive_like = ON;" # LIKE '%|Gucci|%' exact, as in ClickHouse
    echo ".timer on"
    for q in $(seq 1 "$NQ"); do for r in $(seq 0 "$REPEAT"); do echo "${SQL[q-1]};"; done; done
  } | sqlite3 "$SQLITE_DB" > "$1.out"
  # Pairs "count" / "Run Time: real S ..." -> q<TAB>count<TAB>seconds, warm-ups dropped.
  awk -v R="$REPEAT" '/^Run Time: real/ { if (have) { k = n++; q = int(k / (R + 1)) + 1; if (k % (R + 1)) print q "\t" cnt "\t" $4 } have = 0; next }
    { cnt = $0; have = 1 }' "$1.out" > "$1"
  [ "$(wc -l < "$1")" -eq "$((NQ * REPEAT))" ] || { cat "$1.out" >&2; die "could not parse sqlite3 output"; }
}
log "SQLite (no indexes): $NQ queries x (1 + $REPEAT)"
sqlite_queries "$RES/sqlite_raw.tsv"
if [ "$SQLITE_INDEXES" = 1 ]; then
  log "SQLite: indexing"
  t0=$(now)
  {
    for c in city spend_90d age lux_orders_180d household_size consent_marketing order_count city_tier commute_mode; do
      echo "CREATE INDEX profiles_$c ON profiles ($c);"
    done
    echo "ANALYZE;"
  } | sqlite3 "$SQLITE_DB"
  echo "sqlite_index_s	$(elapsed "$t0")" >> "$RES/loads.tsv"
  for q in $(seq 1 "$NQ"); do
    printf 'Q%s: %s\n' "$q" "$(sqlite3 "$SQLITE_DB" "EXPLAIN QUERY PLAN ${SQL[q-1]}" | grep -v '^QUERY PLAN' | sed 's/^[|` -]*//' | paste -sd',')"
  done > "$RES/sqlite_plans.txt"
  log "SQLite (indexes): $NQ queries x (1 + $REPEAT)"
  sqlite_queries "$RES/sqlite_idx_raw.tsv"
fi
SQLITE_BYTES=$(stat -c %s "$SQLITE_DB")

# --- 5. Incremental refresh (Holo only) -------------------------------------------------
if [ "$REFRESH" = 1 ]; then
  log "Holo: segment_bench --rows $ROWS --segments 20000 --changes 10000"
  "$SEGMENT_BENCH" --rows "$ROWS" --segments 20000 --changes 10000 > "$RES/refresh.out" 2>&1 \
    || { cat "$RES/refresh.out" >&2; die "segment_bench refresh run failed"; }
fi

# --- 6. Report -------------------------------------------------------------------------
MEM_GIB=$(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
CPU=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
MACHINE="$(nproc) vCPU ($CPU), ${MEM_GIB} GiB RAM, Linux $(uname -r), Debian $(cat /etc/debian_version), load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
export MACHINE RES NQ REPEAT ROWS CH_VERSION SQLITE_VERSION COMMAND MEM_GIB CPU table_bytes SQLITE_BYTES SQLITE_INDEXES REFRESH CH_THREADS CH_LOWCARD
$PY - "$HOLO_QUERIES" "$SQL_QUERIES" <<'PYEOF'
import math, os, sys

env = os.environ
res, nq, rep = env["RES"], int(env["NQ"]), int(env["REPEAT"])

def nearest_rank(xs, p):
    xs = sorted(xs)
    return xs[max(0, math.ceil(p * len(xs)) - 1)]

def from_raw(path):  # q<TAB>count<TAB>seconds -> {q: (count, p50, p99, min)} in ms
    runs = {}
    for line in open(path):
        q, cnt, sec = line.rstrip("\n").split("\t")
        runs.setdefault(int(q), []).append((int(cnt), float(sec) * 1000))
    out = {}
    for q, rs in runs.items():
        counts = {c for c, _ in rs}
        assert len(counts) == 1, f"query {q} returned different counts across runs: {counts}"
        ms = [t for _, t in rs]
        out[q] = (counts.pop(), nearest_rank(ms, .5), nearest_rank(ms, .99), min(ms))
    return out

systems = {}
holo_lines = [l.split("\t") for l in open(f"{res}/holo.tsv").read().splitlines()]
base = min(int(l[0]) for l in holo_lines)  # segment_bench may number queries from 0 or 1
systems["Holo"] = {int(l[0]) - base + 1: (int(l[1]), float(l[2]), float(l[3]), float(l[4])) for l in holo_lines}
ch = from_raw(f"{res}/ch_raw.tsv")
floor = ch.pop(0)
systems["ClickHouse"] = ch
systems["SQLite"] = from_raw(f"{res}/sqlite_raw.tsv")
if os.path.exists(f"{res}/sqlite_idx_raw.tsv"):
    systems["SQLite+idx"] = from_raw(f"{res}/sqlite_idx_raw.tsv")
loads = dict(l.split("\t") for l in open(f"{res}/loads.tsv").read().splitlines())

def ms(x):  # sqlite3's timer has 1 ms steps: 0 means under 1 ms
    if x == 0: return "<1"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"

def ratio(a, b):  # how many times b is slower than a
    if a <= 0 or b <= 0: return "n/a"
    r = b / a
    return f"{r:.0f}×" if r >= 100 else f"{r:.1f}×" if r >= 1 else f"{r:.2f}×"

mismatch = []
for q in range(1, nq + 1):
    counts = {name: s[q][0] for name, s in systems.items()}
    if len(set(counts.values())) != 1:
        mismatch.append((q, counts))

names = list(systems)
print(f"## Segment counts side by side: {int(env['ROWS']):,} profiles\n")
lite = [n for n in names if n.startswith("SQLite")]
print("| query | rows matched | " + " | ".join(f"{n} p50 ms" for n in names)
      + " | ClickHouse / Holo | " + ("best SQLite" if len(lite) > 1 else "SQLite") + " / Holo |")
print("|---" * (4 + len(names)) + "|")
for q in range(1, nq + 1):
    h = systems["Holo"][q][1]
    row = [f"Q{q}", f"{systems['Holo'][q][0]:,}"] + [ms(systems[n][q][1]) for n in names]
    row += [ratio(h, systems["ClickHouse"][q][1]), ratio(h, min(systems[n][q][1] for n in lite))]
    print("| " + " | ".join(row) + " |")

print(f"\np50 / p99 / min in ms over {rep} timed runs after one warm-up:\n")
print("| query | " + " | ".join(names) + " |")
print("|---" * (1 + len(names)) + "|")
for q in range(1, nq + 1):
    print(f"| Q{q} | " + " | ".join(" / ".join(ms(v) for v in systems[n][q][1:]) for n in names) + " |")
print(f"\nClickHouse HTTP floor (`SELECT 1` over curl, p50 / min): {ms(floor[1])} / {ms(floor[3])} ms; "
      "its times above include this.")

print("\nQueries (Holo expression language; the SQL twins are in bench/segment_queries.sql):\n")
for i, line in enumerate(l for l in open(sys.argv[1]).read().splitlines() if l.strip()):
    print(f"- Q{i + 1}: `{line}`")

mb = lambda b: f"{int(b) / 1e6:,.0f} MB"
ch_parts = open(f"{res}/ch_parts.tsv").read().split()
print("\nLoads:\n")
print(f"- table: `segment_bench --write-table` {loads['write_table_s']} s, TSV {mb(env['table_bytes'])}")
print(f"- Holo: whole `segment_bench --table` process (load + index + all timed runs) {loads['holo_process_s']} s")
print(f"- ClickHouse: `clickhouse-client INSERT ... FORMAT TSVWithNames` {loads['ch_load_s']} s, "
      f"then `OPTIMIZE TABLE FINAL` {loads['ch_optimize_s']} s; {ch_parts[0]} active part(s), {mb(ch_parts[1])} on disk")
print(f"- SQLite: `.import` into a typed table (journal off, synchronous off) {loads['sqlite_load_s']} s"
      + (f", then 9 single-column indexes + ANALYZE {loads['sqlite_index_s']} s" if 'sqlite_index_s' in loads else "")
      + f"; file {mb(env['SQLITE_BYTES'])}")
if os.path.exists(f"{res}/sqlite_plans.txt"):
    print("- SQLite+idx query plans (EXPLAIN QUERY PLAN): "
          + "; ".join(l.strip() for l in open(f"{res}/sqlite_plans.txt")))
extra = [l for l in open(f"{res}/holo.out").read().splitlines() + open(f"{res}/holo.err").read().splitlines()
         if l.strip() and not l.startswith("query_index") and l not in {"\t".join(x) for x in holo_lines}]
if extra:
    print("- segment_bench --table also printed:")
    for l in extra: print(f"    {l}")
print("\nSchema (inferred from the whole TSV; ClickHouse / SQLite): "
      + ", ".join(f"{a} {b}/{c}" for a, b, c in (l.split("\t") for l in open(f"{res}/schema.tsv").read().splitlines())))
if env["REFRESH"] == "1":
    print(f"\nIncremental refresh (`segment_bench --rows {env['ROWS']} --segments 20000 --changes 10000`):\n")
    print("```")
    print(open(f"{res}/refresh.out").read().rstrip())
    print("```")
print(f"\nMachine: {env['MACHINE']}.")
print(f"Versions: ClickHouse {env['CH_VERSION']} (MergeTree ORDER BY the first column, max_threads={env['CH_THREADS']}, "
      f"LowCardinality strings {'on' if env['CH_LOWCARD'] == '1' else 'off'}, "
      f"defaults otherwise), SQLite {env['SQLITE_VERSION']} (sqlite3 CLI, cache_size 4 GB, case_sensitive_like on; "
      "its timer counts whole milliseconds).")
print(f"Command: `{env['COMMAND']}`")
if mismatch:
    print("\n**COUNT MISMATCH**")
    for q, counts in mismatch: print(f"- Q{q}: {counts}")
    sys.exit(1)
PYEOF
