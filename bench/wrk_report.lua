-- wrk_report.lua: make wrk print one machine-readable JSON line when a run ends.
--
-- Every wrk thread has its own Lua state, so each counts its non-2xx answers in a global
-- (`non2xx`); `done()` runs in the main state and sums them through the thread handles
-- collected in `setup()`. Latencies from wrk are in microseconds; they are emitted in ms.
-- The line starts with "WRK_JSON " so the harness can pick it out of wrk's text report.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   non2xx = 0
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

local function ms(us)
   return string.format("%.3f", us / 1000.0)
end

function done(summary, latency, requests)
   local non = 0
   for _, thread in ipairs(threads) do
      non = non + (thread:get("non2xx") or 0)
   end
   local e = summary.errors
   io.write("WRK_JSON {")
   io.write(string.format('"requests": %d, ', summary.requests))
   io.write(string.format('"duration_s": %.6f, ', summary.duration / 1e6))
   io.write(string.format('"bytes": %d, ', summary.bytes))
   io.write(string.format(
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, '
         .. '"non_2xx": %d}, ',
      e.connect, e.read, e.write, e.status, e.timeout, non))
   io.write(string.format(
      '"latency_ms": {"mean": %s, "stdev": %s, "max": %s, "p50": %s, "p90": %s, '
         .. '"p95": %s, "p99": %s}',
      ms(latency.mean), ms(latency.stdev), ms(latency.max), ms(latency:percentile(50)),
      ms(latency:percentile(90)), ms(latency:percentile(95)), ms(latency:percentile(99))))
   io.write("}\n")
end
