-- wrk script for the symsrvd benchmark.
--
-- Usage: wrk ... -s paths.lua URL -- PATHLIST SEED [HEADER ...]
--
-- Each request is a GET for a line picked at random from PATHLIST.  A line
-- is a URL path, optionally followed by TAB-separated header fields that
-- go with that path only:
--
--   /ntdll.pdb/0123...1/ntdll.pdb<TAB>If-None-Match: "5f2b-1a00"
--
-- Every HEADER argument ("Name: value") is sent with every request; a
-- per-line field of the same name wins.  bench.sh passes the scenario's
-- headers and a User-Agent naming the run, which lets it find each run's
-- lines in the server's access log afterwards.
--
-- wrk runs init()/request() in one Lua state per thread, so each thread
-- reads the list itself and pre-builds its requests; setup() and done()
-- run in the main state.  No response() function: defining one makes wrk
-- hand every response to Lua, which costs the client CPU it does not have.
-- done() prints one machine-readable line:
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

-- "Name: value" -> name, value (nil if malformed)
local function split_header(h)
   local name, value = h:match("^([^:%s]+):%s*(.-)%s*$")
   return name, value
end

function init(args)
   local list = args[1]
   if list == nil then
      error("paths.lua: usage: -- PATHLIST SEED [HEADER ...]")
   end
   local seed = tonumber(args[2] or "12345")
   local common = { ["User-Agent"] = "symsrvd-bench/1 (wrk)" }
   for i = 3, #args do
      local name, value = split_header(args[i])
      if name == nil then
         error("paths.lua: bad header argument: " .. args[i])
      end
      common[name] = value
   end
   local fh, err = io.open(list, "r")
   if fh == nil then
      error("paths.lua: cannot open " .. list .. ": " .. tostring(err))
   end
   for line in fh:lines() do
      if line ~= "" then
         local path = line
         local headers = {}
         for k, v in pairs(common) do
            headers[k] = v
         end
         local tab = line:find("\t", 1, true)
         if tab ~= nil then
            path = line:sub(1, tab - 1)
            for field in line:sub(tab + 1):gmatch("[^\t]+") do
               local name, value = split_header(field)
               if name == nil then
                  error("paths.lua: " .. list .. ": bad header field: " .. field)
               end
               headers[name] = value
            end
         end
         nreqs = nreqs + 1
         reqs[nreqs] = wrk.format("GET", path, headers)
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
