-- wrk script for the symsrvd benchmark.
--
-- Usage: wrk ... -s paths.lua URL -- PATHLIST [SEED]
--
-- Each request is a GET for a path picked at random from PATHLIST (one URL
-- path per line).  wrk runs init()/request() in one Lua state per thread, so
-- each thread reads the list itself and pre-builds its requests; setup() and
-- done() run in the main state.  done() prints one machine-readable line:
--
--   BENCH requests=N duration_us=N rps=F bytes=N p50_us=N p90_us=N p99_us=N
--         max_us=N mean_us=F err_connect=N err_read=N err_write=N
--         err_status=N err_timeout=N
--
-- err_status counts responses with status >= 400 (wrk's
-- "Non-2xx or 3xx responses").

local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("thread_id", thread_count)
end

local reqs = {}
local nreqs = 0

function init(args)
   local list = args[1]
   if list == nil then
      error("paths.lua: usage: -- PATHLIST [SEED]")
   end
   local seed = tonumber(args[2] or "12345")
   local fh, err = io.open(list, "r")
   if fh == nil then
      error("paths.lua: cannot open " .. list .. ": " .. tostring(err))
   end
   local headers = { ["User-Agent"] = "symsrvd-bench/1 (wrk)" }
   for line in fh:lines() do
      if line ~= "" then
         nreqs = nreqs + 1
         reqs[nreqs] = wrk.format("GET", line, headers)
      end
   end
   fh:close()
   if nreqs == 0 then
      error("paths.lua: " .. list .. " has no paths")
   end
   -- Different, but reproducible, sequences per thread.
   math.randomseed(seed + 7919 * (thread_id or 0))
end

function request()
   return reqs[math.random(nreqs)]
end

function done(summary, latency, requests)
   local secs = summary.duration / 1e6
   local rps = 0
   if secs > 0 then
      rps = summary.requests / secs
   end
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d rps=%.2f bytes=%d p50_us=%d p90_us=%d " ..
      "p99_us=%d max_us=%d mean_us=%.2f err_connect=%d err_read=%d " ..
      "err_write=%d err_status=%d err_timeout=%d\n",
      summary.requests, summary.duration, rps, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean, e.connect, e.read, e.write, e.status,
      e.timeout))
end
