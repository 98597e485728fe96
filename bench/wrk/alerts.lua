-- wrk script: POST /api/v2/alerts with distinct Alertmanager API v2 alerts.
--
--   wrk -t2 -c64 -d10s -s bench/wrk/alerts.lua http://127.0.0.1:9099/api/v2/alerts -- <batch> [run-id]
--
-- Each request carries <batch> alerts (default 1) as a JSON array. Every alert of a run is
-- distinct: the label `instance` is "<run-id>-<thread>-<counter>", the thread number set per
-- thread in setup(), the counter per thread. No endsAt, so both systems apply their
-- resolve_timeout (5m) and keep every alert active for the run.
--
-- done() prints one machine-readable line (latencies per request, in microseconds):
--   WRK_RESULT requests=… duration_us=… non2xx=… connect_errors=… read_errors=…
--              write_errors=… timeouts=… p50_us=… p90_us=… p99_us=… max_us=…

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

local batch = 1
local prefix = "r"
local counter = 0

function init(args)
  batch = tonumber(args[1]) or 1
  prefix = (args[2] or "r") .. "-" .. tostring(thread_id)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local fmt = '{"labels":{"alertname":"BenchIngest","job":"bench","severity":"warning",'
  .. '"instance":"%s-%d"},"annotations":{"summary":"bench alert %d"},'
  .. '"generatorURL":"http://127.0.0.1/bench"}'

function request()
  local parts = {}
  for i = 1, batch do
    counter = counter + 1
    parts[i] = string.format(fmt, prefix, counter, counter)
  end
  return wrk.format(nil, nil, nil, "[" .. table.concat(parts, ",") .. "]")
end

-- No response() function: wrk then skips handing bodies to Lua, and still counts status >= 400
-- in summary.errors.status.

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d non2xx=%d connect_errors=%d "
      .. "read_errors=%d write_errors=%d timeouts=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
