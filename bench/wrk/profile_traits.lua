-- wrk script: the ad-serving look-up GET /api/profiles/{id}/traits with a random id per request.
--
--   wrk -t2 -c50 -d30s --latency -s bench/wrk/profile_traits.lua http://127.0.0.1:8080 -- IDS_FILE TOKEN [NAMES] [PATH]
--
-- IDS_FILE: one id per line, already URL-encoded (a OneID like 123, or type%3Avalue).
-- TOKEN: an API token (role admin, or activation for consented people).
-- NAMES: optional comma-separated trait names (?names=...); default: the server's default set.
-- PATH: what follows the id instead of /traits (e.g. "/recommendations?k=10"; NAMES then ignored).
-- done() prints one machine-readable line: "RESULT requests=... rps=... p50_ms=... p99_ms=...".

local ids = {}
local req_headers = {}
local query = ""
local suffix = "/traits"

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
  table.insert(threads, thread)
end

function init(args)
  local path, token, names, tail = args[1], args[2], args[3], args[4]
  if not path or not token then
    error("usage: wrk ... -s profile_traits.lua URL -- IDS_FILE TOKEN [NAMES]")
  end
  for line in io.lines(path) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  if #ids == 0 then error("no ids in " .. path) end
  req_headers["Authorization"] = "Bearer " .. token
  if names and #names > 0 then query = "?names=" .. names end
  if tail and #tail > 0 then suffix = tail; query = "" end
  -- a different random sequence per thread
  math.randomseed(os.time() * 1000 + (thread_index or 0) * 7919)
end

function request()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/api/profiles/" .. id .. suffix .. query, req_headers)
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f " ..
    "non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, latency.mean / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
