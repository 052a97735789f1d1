-- data_gateway.lua: detail lookups by random key for bench/data_gateway.py.
--
-- Loads wrk_report.lua (the JSON report line, non-2xx counting) from the same directory and
-- adds the requests: GET <BENCH_PATH_PREFIX><key>, the key drawn at random from the file
-- BENCH_KEYS_FILE (one per line), with the gateway's headers — Authorization (BENCH_AUTH),
-- X-Purpose (BENCH_PURPOSE), X-End-User (one of 20 clerks) and a unique X-Message-Id per
-- request (BENCH_RUN, the thread's number and a counter). The direct baseline receives the
-- same requests and ignores the headers. Settings come from the environment because
-- harness.run_wrk passes no script arguments.

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "wrk_report.lua")

local report_setup = setup
local report_init = init
local started = 0

function setup(thread)
   started = started + 1
   thread:set("thread_no", started)
   report_setup(thread)
end

function init(args)
   report_init(args)
   keys = {}
   for line in io.lines(os.getenv("BENCH_KEYS_FILE")) do
      if #line > 0 then
         keys[#keys + 1] = line
      end
   end
   prefix = os.getenv("BENCH_PATH_PREFIX")
   run = os.getenv("BENCH_RUN") or tostring(os.time())
   sent = 0
   headers = {}
   local auth = os.getenv("BENCH_AUTH") or ""
   if #auth > 0 then
      headers["Authorization"] = "Bearer " .. auth
   end
   headers["X-Purpose"] = os.getenv("BENCH_PURPOSE") or "bench"
   math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
end

function request()
   sent = sent + 1
   headers["X-Message-Id"] = string.format("%s-%d-%d", run, thread_no or 0, sent)
   headers["X-End-User"] = string.format("wj-clerk-%02d", math.random(20))
   return wrk.format("GET", prefix .. keys[math.random(#keys)], headers)
end
