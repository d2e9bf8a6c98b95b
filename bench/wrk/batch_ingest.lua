-- wrk script: POST /v1/batch with N track events per request, every messageId unique.
--
--   wrk -t2 -c50 -d30s --latency -s bench/wrk/batch_ingest.lua http://127.0.0.1:8080 -- WRITE_KEY [EVENTS_PER_REQUEST] [RUN_ID] [PEOPLE]
--
-- WRITE_KEY: the source's write key, sent as HTTP Basic user name with an empty password.
-- EVENTS_PER_REQUEST: default 100. RUN_ID: prefix of the messageIds (unique per run; default:
-- the time). PEOPLE: how many distinct anonymous ids the events are spread over (default 100000).
-- Every 2xx answer is durable (docs/http_api.md); response() adds up "accepted" and "duplicates"
-- from the bodies (the server counts duplicates among the accepted; stored = accepted - duplicates).
-- done() prints "RESULT requests=... ok=... accepted=... duplicates=... rejected=... events_per_s=..."
-- plus the latency percentiles.

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
  table.insert(threads, thread)
end

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(n / 262144) % 64
    local c2 = math.floor(n / 4096) % 64
    local c3 = math.floor(n / 64) % 64
    local c4 = n % 64
    out[#out + 1] = b64chars:sub(c1 + 1, c1 + 1) .. b64chars:sub(c2 + 1, c2 + 1) ..
      (b and b64chars:sub(c3 + 1, c3 + 1) or "=") .. (c and b64chars:sub(c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end

local per_request = 100
local run_id = ""
local people = 100000
local req_headers = {}
local seq = 0

-- counters read by done() through thread:get
ok = 0
accepted = 0
duplicates = 0
rejected = 0
status_429 = 0
status_other = 0

local events = { "Product Viewed", "Product Added", "Products Searched", "Promotion Viewed", "Order Completed" }
local brands = { "Nike", "Adidas", "Li-Ning", "Anta", "Uniqlo", "Midea", "Haier", "Xiaomi" }
local categories = { "shoes", "apparel", "home", "electronics", "food", "beauty" }

function init(args)
  local key = args[1]
  if not key then error("usage: wrk ... -s batch_ingest.lua URL -- WRITE_KEY [EVENTS_PER_REQUEST] [RUN_ID] [PEOPLE]") end
  per_request = tonumber(args[2] or "100")
  run_id = args[3] or tostring(os.time())
  people = tonumber(args[4] or "100000")
  req_headers["Authorization"] = "Basic " .. base64(key .. ":")
  req_headers["Content-Type"] = "application/json"
  math.randomseed(os.time() * 1000 + (thread_index or 0) * 104729)
end

function request()
  seq = seq + 1
  local prefix = run_id .. "-" .. (thread_index or 0) .. "-" .. seq .. "-"
  local ts = os.date("!%Y-%m-%dT%H:%M:%S.000Z")
  local parts = {}
  for i = 1, per_request do
    local person = math.random(people)
    local ev = events[math.random(#events)]
    local user = ""
    if person % 4 == 0 then user = '"userId":"bu' .. person .. '",' end
    parts[i] = '{"type":"track","messageId":"' .. prefix .. i .. '",' .. user ..
      '"anonymousId":"ba-' .. person .. '","event":"' .. ev .. '","timestamp":"' .. ts ..
      '","properties":{"product_id":"sku-' .. math.random(5000) .. '","brand":"' .. brands[math.random(#brands)] ..
      '","category":"' .. categories[math.random(#categories)] .. '","price":' .. math.random(10, 2000) ..
      '},"context":{"library":{"name":"wrk-bench"}}}'
  end
  local body = '{"batch":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/v1/batch", req_headers, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    local a = body:match('"accepted"%s*:%s*(%d+)')
    local d = body:match('"duplicates"%s*:%s*(%d+)')
    accepted = accepted + (tonumber(a) or 0)
    duplicates = duplicates + (tonumber(d) or 0)
    if not body:find('"rejected"%s*:%s*%[%s*%]') then rejected = rejected + 1 end
  elseif status == 429 then
    status_429 = status_429 + 1
  else
    status_other = status_other + 1
  end
end

function done(summary, latency, requests)
  local t = { ok = 0, accepted = 0, duplicates = 0, rejected = 0, status_429 = 0, status_other = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
  end
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f rps=%.1f ok=%d accepted=%d duplicates=%d stored=%d requests_with_rejects=%d " ..
    "status_429=%d status_other=%d events_per_s=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
    summary.requests, secs, summary.requests / secs, t.ok, t.accepted, t.duplicates, t.accepted - t.duplicates, t.rejected,
    t.status_429, t.status_other, t.accepted / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.timeout))
end
