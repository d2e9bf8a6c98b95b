#!/usr/bin/env bash
# Load benchmark of `holo serve` (docs/http_api.md), side by side with Redis, in one run:
#   a) wrk: GET /api/profiles/{id}/traits (the ad-serving look-up), random real OneIDs per request
#      (and a second pass with random raw identifiers, type:value);
#   b) redis-benchmark: GET of the same look-up answers stored as JSON values in a private
#      redis-server (one key per OneID, random keys over the same key space);
#   a'') GET /api/profiles/{id}/recommendations?k=10 (RECS=1, the default): a model trained
#      first (holo recommend train --algo $RECS_ALGO); first each person whose consent allows
#      personalization once, one request at a time (cold: their events are read from the store;
#      node), then wrk with random ones of them (their histories in memory), RECS_RUNS times (3);
#   c) wrk: POST /v1/batch, 100 events per request, unique messageIds -> durable events/s, then
#      `holo stats` (server stopped) must show at least the acknowledged events stored.
# Look-ups run twice per system, side by side:
#   pinned (the targets' configuration): server on core 0, load generator on core 1 (taskset), one
#     event loop / one client thread each, so that neither steals the other's core: on a 2-core
#     machine an unpinned wrk and server time-share both cores and the tail measures the scheduler;
#   shared: no pinning, 2 event loops (Holo's default) / 2 client threads, both systems alike.
# Ingestion runs unpinned with Holo's defaults (both cores).
# Prints one table (system, endpoint, req/s, p50, p99, events/s, target) with the machine and
# the exact commands. Run by hand, not in CI:
#
#   bash bench/serve_load.sh                       # 10,000-person world, 30 s per run
#   PERSONS=50000 DURATION=60 bash bench/serve_load.sh
#   CONNECTIONS=50 THREADS=2 BATCH=100 BATCH_PEOPLE=100000 LOOKUP_BY_IDENTIFIER=0 REDIS_VALUE=profile KEEP=1 ...
#
# Tools: wrk, redis-server, redis-cli, redis-benchmark and node (Debian packages). When one is
# missing it runs `bash scripts/setup_bench.sh`; it downloads nothing itself. Every process it
# starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
HOLO=${HOLO:-build/src/cli/holo}
PERSONS=${PERSONS:-10000}
DURATION=${DURATION:-30}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
BATCH=${BATCH:-100}
BATCH_PEOPLE=${BATCH_PEOPLE:-100000}   # distinct anonymous ids the ingested events are spread over
LOOKUP_BY_IDENTIFIER=${LOOKUP_BY_IDENTIFIER:-1}
REDIS_VALUE=${REDIS_VALUE:-traits}   # traits: the look-up answer; profile: the whole profile JSON
WORK=${WORK:-/tmp/holo-serve-load}
RECS=${RECS:-1}
RECS_ALGO=${RECS_ALGO:-ease}
RECS_RUNS=${RECS_RUNS:-3}
INVOCATION="RECS=$RECS RECS_ALGO=$RECS_ALGO RECS_RUNS=$RECS_RUNS PERSONS=$PERSONS DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS BATCH=$BATCH BATCH_PEOPLE=$BATCH_PEOPLE LOOKUP_BY_IDENTIFIER=$LOOKUP_BY_IDENTIFIER REDIS_VALUE=$REDIS_VALUE bash bench/serve_load.sh"

[ -x "$HOLO" ] || { echo "serve_load: no $HOLO; build first (make build)" >&2; exit 1; }
HOLO=$(cd "$(dirname "$HOLO")" && pwd)/$(basename "$HOLO")
need_tools() {
  for t in wrk redis-server redis-cli redis-benchmark node; do command -v "$t" > /dev/null || return 1; done
}
if ! need_tools; then
  echo "serve_load: installing the benchmark tools (scripts/setup_bench.sh)" >&2
  bash scripts/setup_bench.sh
  hash -r
  need_tools || { echo "serve_load: wrk, redis-server, redis-cli, redis-benchmark and node are needed" >&2; exit 1; }
fi

SERVER_PID=""
REDIS_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2> /dev/null; then
    kill -TERM "$SERVER_PID" 2> /dev/null || true
    for _ in $(seq 300); do kill -0 "$SERVER_PID" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2> /dev/null || true
  fi
  if [ -n "$REDIS_PID" ] && kill -0 "$REDIS_PID" 2> /dev/null; then
    kill -TERM "$REDIS_PID" 2> /dev/null || true
    for _ in $(seq 50); do kill -0 "$REDIS_PID" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$REDIS_PID" 2> /dev/null || true
  fi
  if [ "${KEEP:-0}" != 1 ] && [ -d "$WORK" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source scripts/lib/loopback_http.sh  # free_port, http_status (the script runs from the repo root)
credential() {  # the last token of a CLI answer
  printf '%s\n' "$1" | awk 'NF{last=$NF} END{print last}'
}
events_stored() {  # holo stats (server stopped) -> the "events" count
  "$HOLO" stats --data "$DATA" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).events))'
}
field() {  # field NAME "RESULT k=v ..." -> v
  printf '%s\n' "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1==k{print $2}'
}
log() { echo "serve_load: $*" >&2; }

rm -rf "$WORK"
mkdir -p "$WORK/redis"
DATA=$WORK/data

# ------------------------------------------------------------------ world, store, id lists
log "generating $PERSONS persons"
"$HOLO" generate --persons "$PERSONS" --out "$WORK/world" > /dev/null
log "ingesting"
"$HOLO" ingest --data "$DATA" "$WORK/world" > "$WORK/ingest.json"
log "exporting profiles"
"$HOLO" export profiles --data "$DATA" > "$WORK/profiles.jsonl"
if [ "$RECS" = 1 ]; then
  log "training the recommender ($RECS_ALGO)"
  echo "$HOLO recommend train --data $DATA --algo $RECS_ALGO" >> "$WORK/train_command.txt"
  "$HOLO" recommend train --data "$DATA" --algo "$RECS_ALGO" > "$WORK/recs_train.json"
fi
WRITE_KEY=$(credential "$("$HOLO" writekey create --data "$DATA" web)")
TOKEN=$(credential "$("$HOLO" token create --data "$DATA" serve-load --role admin)")
EVENTS_BEFORE=$(events_stored)

# OneIDs, raw identifiers (type:value from truth.csv), and the Redis protocol stream of the same
# look-up answers (key profile:%012d, index = line of profiles.jsonl, as redis-benchmark's -r
# substitutes __rand_int__).
node - "$WORK" "$REDIS_VALUE" << 'NODE'
const fs = require('fs');
const readline = require('readline');
const [work, valueKind] = process.argv.slice(2);
const DEFAULT_NAMES = ['spending_power', 'top_categories', 'top_brands', 'home_city', 'consent_marketing'];
async function main() {
  const ids = fs.createWriteStream(`${work}/ids_oneid.txt`);
  const personalized = fs.createWriteStream(`${work}/ids_personalized.txt`);
  const resp = fs.createWriteStream(`${work}/redis.resp`);
  let n = 0, bytes = 0;
  const rl = readline.createInterface({ input: fs.createReadStream(`${work}/profiles.jsonl`), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) continue;
    const p = JSON.parse(line);
    ids.write(`${p.oneid}\n`);
    if (p.traits && p.traits.consent_personalization === true) personalized.write(`${p.oneid}\n`);
    let value;
    if (valueKind === 'profile') {
      value = line;
    } else {
      const traits = {};
      for (const k of DEFAULT_NAMES) traits[k] = p.traits && k in p.traits ? p.traits[k] : null;
      value = JSON.stringify({ oneid: Number(p.oneid), traits });
    }
    const key = `profile:${String(n).padStart(12, '0')}`;
    const ok = resp.write(`*3\r\n$3\r\nSET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$${Buffer.byteLength(value)}\r\n${value}\r\n`);
    if (!ok) await new Promise((r) => resp.once('drain', r));
    bytes += Buffer.byteLength(value);
    n++;
  }
  ids.end(); resp.end(); personalized.end();
  // raw identifiers as the API addresses them; every 3rd line, at most 200,000
  const idf = fs.createWriteStream(`${work}/ids_identifier.txt`);
  let m = 0, row = 0;
  const tl = readline.createInterface({ input: fs.createReadStream(`${work}/world/truth.csv`), crlfDelay: Infinity });
  for await (const line of tl) {
    if (row++ === 0 || !line) continue;
    if (row % 3 !== 0 || m >= 200000) continue;
    const c1 = line.indexOf(','), c2 = line.indexOf(',', c1 + 1), c3 = line.lastIndexOf(',');
    const type = line.slice(c1 + 1, c2), value = line.slice(c2 + 1, c3);
    if (!type || !value || value.startsWith('"')) continue;
    idf.write(`${encodeURIComponent(`${type}:${value}`)}\n`);
    m++;
  }
  idf.end();
  fs.writeFileSync(`${work}/ids.json`, JSON.stringify({ profiles: n, identifiers: m, avg_value_bytes: Math.round(bytes / Math.max(n, 1)) }));
}
main().catch((e) => { console.error(e); process.exit(1); });
NODE
NPROFILES=$(node -p "require('$WORK/ids.json').profiles")
NIDENT=$(node -p "require('$WORK/ids.json').identifiers")
VALUE_BYTES=$(node -p "require('$WORK/ids.json').avg_value_bytes")
log "$NPROFILES profiles, $NIDENT raw identifiers sampled, $EVENTS_BEFORE events stored"

# ------------------------------------------------------------------ servers
PORT=$(free_port)
: > "$WORK/commands.txt"
if [ -f "$WORK/train_command.txt" ]; then cat "$WORK/train_command.txt" >> "$WORK/commands.txt"; fi
start_server() {  # [taskset -c N] holo serve ... [extra flags]
  local prefix=$1; shift
  SERVE_CMD="$prefix$HOLO serve --data $DATA --listen 127.0.0.1:$PORT $*"
  echo "$SERVE_CMD" >> "$WORK/commands.txt"
  log "starting: $SERVE_CMD"
  # shellcheck disable=SC2086
  $SERVE_CMD >> "$WORK/serve.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 600); do
    kill -0 "$SERVER_PID" 2> /dev/null || { tail -n 20 "$WORK/serve.log" >&2; echo "serve_load: holo serve exited" >&2; exit 1; }
    [ "$(http_status /readyz)" = 200 ] && break
    sleep 0.1
  done
  [ "$(http_status /readyz)" = 200 ] || { echo "serve_load: holo serve not ready after 60 s" >&2; exit 1; }
}
stop_server() {  # SIGTERM, wait; sets STOP_RC and STOP_S
  local t0; t0=$(date +%s.%N)
  kill -TERM "$SERVER_PID"
  STOP_RC=0
  wait "$SERVER_PID" || STOP_RC=$?
  SERVER_PID=""
  STOP_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
}
start_server "taskset -c 0 " --event-loops 1
SAMPLE_ID=$(head -n 1 "$WORK/ids_oneid.txt")
SAMPLE=$(node -e 'fetch(process.argv[1],{headers:{Authorization:"Bearer "+process.argv[2]}}).then(async r=>console.log(r.status+" "+(await r.text())))' \
  "http://127.0.0.1:$PORT/api/profiles/$SAMPLE_ID/traits" "$TOKEN")
log "sample look-up: $SAMPLE"
case "$SAMPLE" in 200\ *) ;; *) echo "serve_load: the sample look-up failed" >&2; exit 1 ;; esac

RPORT=$(free_port)
REDIS_CMD="taskset -c 0 redis-server --bind 127.0.0.1 --port $RPORT --save '' --appendonly no --dir $WORK/redis --daemonize no"
taskset -c 0 redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly no --dir "$WORK/redis" --daemonize no \
  --logfile "$WORK/redis/redis.log" &
REDIS_PID=$!
for _ in $(seq 100); do redis-cli -p "$RPORT" ping > /dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$RPORT" --pipe < "$WORK/redis.resp" > "$WORK/redis/pipe.log"
RKEYS=$(redis-cli -p "$RPORT" dbsize)
[ "$RKEYS" = "$NPROFILES" ] || { echo "serve_load: redis holds $RKEYS keys, expected $NPROFILES" >&2; exit 1; }
REDIS_VERSION=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
log "redis $REDIS_VERSION on 127.0.0.1:$RPORT holds $RKEYS values (avg $VALUE_BYTES bytes)"

# ------------------------------------------------------------------ a) profile look-ups
run_wrk_lookup() {  # ids-file label client-prefix threads [path] -> RESULT line
  local ids=$1 label=$2 prefix=$3 threads=$4 tail=${5:-}
  local out="$WORK/wrk_lookup_${label}.out"
  local cmd="${prefix}wrk -t$threads -c$CONNECTIONS -d${DURATION}s --latency -s bench/wrk/profile_traits.lua http://127.0.0.1:$PORT -- $ids TOKEN '' '$tail'"
  echo "$cmd" >> "$WORK/commands.txt"
  log "$cmd"
  # shellcheck disable=SC2086
  ${prefix}wrk "-t$threads" "-c$CONNECTIONS" "-d${DURATION}s" --latency -s bench/wrk/profile_traits.lua \
    "http://127.0.0.1:$PORT" -- "$ids" "$TOKEN" "" "$tail" > "$out"
  cat "$out" >&2
  grep '^RESULT' "$out"
}
warm_up() {  # page cache, connections; not measured
  wrk -t1 -c4 -d2s -s bench/wrk/profile_traits.lua "http://127.0.0.1:$PORT" -- "$WORK/ids_oneid.txt" "$TOKEN" > /dev/null
}
run_redis() {  # client-prefix threads -> "rps p50 p99"
  local prefix=$1 threads=$2
  # calibrate -n so that the measured run lasts about DURATION seconds
  local cal cal_rps rn line
  # shellcheck disable=SC2086
  cal=$(${prefix}redis-benchmark -h 127.0.0.1 -p "$RPORT" -c "$CONNECTIONS" --threads "$threads" -n 100000 -r "$NPROFILES" --csv \
    GET 'profile:__rand_int__' | tail -n 1)
  cal_rps=$(printf '%s\n' "$cal" | awk -F'","' '{print int($2)}')
  rn=$(( cal_rps * DURATION ))
  [ "$rn" -ge 100000 ] || rn=100000
  echo "${prefix}redis-benchmark -h 127.0.0.1 -p $RPORT -c $CONNECTIONS --threads $threads -n $rn -r $NPROFILES --csv GET profile:__rand_int__" >> "$WORK/commands.txt"
  log "${prefix}redis-benchmark ... --threads $threads -n $rn"
  # shellcheck disable=SC2086
  ${prefix}redis-benchmark -h 127.0.0.1 -p "$RPORT" -c "$CONNECTIONS" --threads "$threads" -n "$rn" -r "$NPROFILES" --csv \
    GET 'profile:__rand_int__' > "$WORK/redis_benchmark_$threads.csv"
  cat "$WORK/redis_benchmark_$threads.csv" >&2
  line=$(tail -n 1 "$WORK/redis_benchmark_$threads.csv" | tr -d '"')
  printf '%s\n' "$line" | awk -F, '{print $2, $5, $7}'
}

# a) Holo pinned: server on core 0 with one event loop, wrk on core 1 with one thread
warm_up
LOOKUP_ONEID=$(run_wrk_lookup "$WORK/ids_oneid.txt" oneid "taskset -c 1 " 1)
LOOKUP_IDENT=""
if [ "$LOOKUP_BY_IDENTIFIER" = 1 ] && [ "$NIDENT" -gt 0 ]; then
  LOOKUP_IDENT=$(run_wrk_lookup "$WORK/ids_identifier.txt" identifier "taskset -c 1 " 1)
fi
LOOKUP_RECS=""
NPERSONALIZED=$(wc -l < "$WORK/ids_personalized.txt")
if [ "$RECS" = 1 ] && [ "$NPERSONALIZED" -gt 0 ]; then
  RSAMPLE=$(node -e 'fetch(process.argv[1],{headers:{Authorization:"Bearer "+process.argv[2]}}).then(async r=>console.log(r.status+" "+(await r.text())))' \
    "http://127.0.0.1:$PORT/api/profiles/$(head -n 1 "$WORK/ids_personalized.txt")/recommendations?k=10" "$TOKEN")
  log "sample recommendations: $RSAMPLE"
  case "$RSAMPLE" in 200\ *\"allowed\":true*) ;; *) echo "serve_load: the sample recommendations failed" >&2; exit 1 ;; esac
  # Cold: each consenting person asked once, one request at a time (each reads the person's
  # events from the store; their history is then kept in memory). Then the measured run, warm.
  echo "taskset -c 1 node (each id of ids_personalized.txt once, 1 connection): GET /api/profiles/{id}/recommendations?k=10" >> "$WORK/commands.txt"
  RECS_COLD=$(taskset -c 1 node - "http://127.0.0.1:$PORT" "$TOKEN" "$WORK/ids_personalized.txt" << 'NODE'
const [base, token, file] = process.argv.slice(2);
const ids = require('fs').readFileSync(file, 'utf8').split('\n').filter(Boolean);
(async () => {
  const ms = [];
  let bad = 0;
  for (const id of ids) {
    const t = process.hrtime.bigint();
    const r = await fetch(`${base}/api/profiles/${id}/recommendations?k=10`, { headers: { Authorization: `Bearer ${token}` } });
    await r.arrayBuffer();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 200) bad++;
  }
  ms.sort((a, b) => a - b);
  const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(3);
  console.log(`RESULT requests=${ms.length} p50_ms=${q(0.5)} p99_ms=${q(0.99)} non2xx=${bad}`);
})();
NODE
)
  log "recommendations, cold: $RECS_COLD"
  # RECS_RUNS warm runs back to back (the tail of one run on a shared VM moves by a millisecond
  # or more between runs): each is listed, the table's row is the run of the median p99.
  RECS_ALL=""
  for r in $(seq "$RECS_RUNS"); do
    line=$(run_wrk_lookup "$WORK/ids_personalized.txt" "recommendations_$r" "taskset -c 1 " 1 "/recommendations?k=10")
    RECS_ALL+="$line"$'\n'
  done
  LOOKUP_RECS=$(printf '%s' "$RECS_ALL" | awk '{for(i=1;i<=NF;i++) if($i ~ /^p99_ms=/){split($i,a,"="); print a[2], $0}}' |
    sort -n | awk -v m="$(( (RECS_RUNS + 1) / 2 ))" 'NR==m{$1=""; sub(/^ /,""); print}')
  RECS_P99S=$(printf '%s' "$RECS_ALL" | awk '{for(i=1;i<=NF;i++) if($i ~ /^p99_ms=/){split($i,a,"="); printf "%s%s", (n++?", ":""), a[2]}}')
  log "recommendations, warm runs: p99 $RECS_P99S ms"
fi
stop_server
# a') Holo shared: default server (two event loops), wrk with THREADS threads, no pinning
start_server "" ""
warm_up
LOOKUP_SHARED=$(run_wrk_lookup "$WORK/ids_oneid.txt" oneid_shared "" "$THREADS")

# ------------------------------------------------------------------ b) redis-benchmark GET
# Redis is pinned to core 0 from its start: pinned, redis-benchmark on core 1 with one thread;
# shared, the client is left free with THREADS threads (the server is single-threaded anyway).
echo "$REDIS_CMD" >> "$WORK/commands.txt"
read -r RB_RPS RB_P50 RB_P99 <<< "$(run_redis "taskset -c 1 " 1)"
read -r RS_RPS RS_P50 RS_P99 <<< "$(run_redis "" "$THREADS")"
MISSES=$(redis-cli -p "$RPORT" info stats | awk -F: '/^keyspace_misses/{gsub("\r","");print $2}')
[ "$MISSES" = 0 ] || { echo "serve_load: redis-benchmark missed $MISSES keys" >&2; exit 1; }
kill -TERM "$REDIS_PID"; wait "$REDIS_PID" 2> /dev/null || true; REDIS_PID=""

# ------------------------------------------------------------------ c) batch ingestion
RUN_ID="wrk$(date +%s)"
BATCH_CMD="wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency --timeout 30s -s bench/wrk/batch_ingest.lua http://127.0.0.1:$PORT -- WRITE_KEY $BATCH $RUN_ID $BATCH_PEOPLE"
echo "$BATCH_CMD" >> "$WORK/commands.txt"
log "$BATCH_CMD"
wrk "-t$THREADS" "-c$CONNECTIONS" "-d${DURATION}s" --latency --timeout 30s -s bench/wrk/batch_ingest.lua \
  "http://127.0.0.1:$PORT" -- "$WRITE_KEY" "$BATCH" "$RUN_ID" "$BATCH_PEOPLE" > "$WORK/wrk_batch.out"
cat "$WORK/wrk_batch.out" >&2
INGEST=$(grep '^RESULT' "$WORK/wrk_batch.out")

log "stopping holo serve (SIGTERM)"
stop_server
EVENTS_AFTER=$(events_stored)
ACCEPTED=$(field stored "$INGEST")
GREW=$((EVENTS_AFTER - EVENTS_BEFORE))

# ------------------------------------------------------------------ table
fmt_int() { awk -v x="$1" 'BEGIN{ s=sprintf("%d", x+0.5); r=""; while (length(s)>3) { r="," substr(s,length(s)-2) r; s=substr(s,1,length(s)-3) } print s r }'; }
fmt_ms() { awk -v x="$1" 'BEGIN{ printf "%.3f", x }'; }
verdict() { awk -v c="$1" 'BEGIN{ print (c ? "met" : "NOT met") }'; }

O_RPS=$(field rps "$LOOKUP_ONEID"); O_P50=$(field p50_ms "$LOOKUP_ONEID"); O_P99=$(field p99_ms "$LOOKUP_ONEID")
O_NON2XX=$(field non2xx "$LOOKUP_ONEID")
RATIO=$(awk -v a="$O_RPS" -v b="$RB_RPS" 'BEGIN{ printf "%.2f", a/b }')
O_TARGET="p99 <= 2 ms: $(verdict "$(awk -v p="$O_P99" 'BEGIN{print (p<=2)}')"); >= 0.5x Redis: ${RATIO}x, $(verdict "$(awk -v r="$RATIO" 'BEGIN{print (r>=0.5)}')")"
B_EPS=$(field events_per_s "$INGEST")
B_OK=$(awk -v e="$B_EPS" -v g="$GREW" -v a="$ACCEPTED" 'BEGIN{print (e>=50000 && g>=a)}')
B_TARGET=">= 50,000 events/s durable: $(verdict "$B_OK") (stored +$(fmt_int "$GREW") >= acknowledged $(fmt_int "$ACCEPTED"): $(awk -v g="$GREW" -v a="$ACCEPTED" 'BEGIN{print (g>=a ? "yes" : "NO")}'))"

echo
echo "## holo serve under load ($(date -u +%Y-%m-%d), $PERSONS persons, $NPROFILES profiles, $(fmt_int "$EVENTS_BEFORE") events)"
echo
echo "Machine: nproc $(nproc), $(free -g | awk '/^Mem:/{print $2 " GiB memory (" $7 " GiB available)"}'), kernel $(uname -r); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}'), redis $REDIS_VERSION, node $(node --version)"
echo "Command: $INVOCATION"
echo
echo "| system | endpoint | req/s | p50 ms | p99 ms | events/s | target |"
echo "|---|---|---:|---:|---:|---:|---|"
echo "| Holo, pinned | GET /api/profiles/{oneid}/traits | $(fmt_int "$O_RPS") | $(fmt_ms "$O_P50") | $(fmt_ms "$O_P99") | - | $O_TARGET |"
if [ -n "$LOOKUP_IDENT" ]; then
  I_RPS=$(field rps "$LOOKUP_IDENT")
  echo "| Holo, pinned | GET /api/profiles/{type:value}/traits | $(fmt_int "$I_RPS") | $(fmt_ms "$(field p50_ms "$LOOKUP_IDENT")") | $(fmt_ms "$(field p99_ms "$LOOKUP_IDENT")") | - | p99 <= 2 ms: $(verdict "$(awk -v p="$(field p99_ms "$LOOKUP_IDENT")" 'BEGIN{print (p<=2)}')"); non-2xx $(field non2xx "$LOOKUP_IDENT") |"
fi
if [ -n "$LOOKUP_RECS" ]; then
  R_P99=$(field p99_ms "$LOOKUP_RECS")
  echo "| Holo, pinned | GET /api/profiles/{oneid}/recommendations?k=10, each person's first request, 1 connection (cold: reads their events) | - | $(fmt_ms "$(field p50_ms "$RECS_COLD")") | $(fmt_ms "$(field p99_ms "$RECS_COLD")") | - | $(field requests "$RECS_COLD") requests, non-2xx $(field non2xx "$RECS_COLD") |"
  echo "| Holo, pinned | GET /api/profiles/{oneid}/recommendations?k=10 ($RECS_ALGO, $NPERSONALIZED consenting OneIDs, histories in memory; the median of $RECS_RUNS runs) | $(fmt_int "$(field rps "$LOOKUP_RECS")") | $(fmt_ms "$(field p50_ms "$LOOKUP_RECS")") | $(fmt_ms "$R_P99") | - | p99 <= 5 ms: $(verdict "$(awk -v p="$R_P99" 'BEGIN{print (p<=5)}')") (runs' p99: $RECS_P99S ms); non-2xx $(field non2xx "$LOOKUP_RECS") |"
fi
echo "| Redis $REDIS_VERSION, pinned | GET profile:<n> ($REDIS_VALUE JSON, avg $VALUE_BYTES B) | $(fmt_int "$RB_RPS") | $(fmt_ms "$RB_P50") | $(fmt_ms "$RB_P99") | - | reference |"
S_RPS=$(field rps "$LOOKUP_SHARED")
echo "| Holo, shared cores | GET /api/profiles/{oneid}/traits | $(fmt_int "$S_RPS") | $(fmt_ms "$(field p50_ms "$LOOKUP_SHARED")") | $(fmt_ms "$(field p99_ms "$LOOKUP_SHARED")") | - | $(awk -v a="$S_RPS" -v b="$RS_RPS" 'BEGIN{ printf "%.2f", a/b }')x Redis (shared) |"
echo "| Redis $REDIS_VERSION, shared cores | GET profile:<n> | $(fmt_int "$RS_RPS") | $(fmt_ms "$RS_P50") | $(fmt_ms "$RS_P99") | - | reference |"
echo "| Holo | POST /v1/batch ($BATCH events/request) | $(fmt_int "$(field rps "$INGEST")") | $(fmt_ms "$(field p50_ms "$INGEST")") | $(fmt_ms "$(field p99_ms "$INGEST")") | $(fmt_int "$B_EPS") | $B_TARGET |"
echo
IDENT_NOTE=""
[ -n "$LOOKUP_IDENT" ] && IDENT_NOTE=" / $NIDENT raw identifiers of truth.csv (non-2xx: $(field non2xx "$LOOKUP_IDENT"))"
echo "Pinned: server (holo serve --event-loops 1, redis-server) on core 0, client (wrk -t1, redis-benchmark --threads 1) on core 1. Shared cores: no pinning for the clients nor Holo (2 event loops), $THREADS client threads."
echo "Look-ups: $CONNECTIONS connections, ${DURATION} s each, a random id per request from $NPROFILES OneIDs (non-2xx: $O_NON2XX)$IDENT_NOTE; Redis: the same $NPROFILES keys, a random key per request (-r)."
echo "Ingestion: $(field ok "$INGEST") of $(field requests "$INGEST") requests 2xx, $(field status_429 "$INGEST") x 429, $(field status_other "$INGEST") other, $(field duplicates "$INGEST") duplicates, $(field requests_with_rejects "$INGEST") requests with rejected messages; SIGTERM to exit: ${STOP_S} s, exit code $STOP_RC; holo stats events $(fmt_int "$EVENTS_BEFORE") -> $(fmt_int "$EVENTS_AFTER")."
echo
echo "Exact commands:"
sed 's/^/    /' "$WORK/commands.txt"
[ "$GREW" -ge "$ACCEPTED" ] && [ "$STOP_RC" -eq 0 ]
