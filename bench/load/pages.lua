-- scripts/bench-load, scenario 1 (cached pages): every connection cycles through the public
-- page URLs of the config file (args[1], a Lua file returning {pages = {{host=, path=}, ...}}).
-- Tallies status codes and x-lattice-cache outcomes; done() writes them with wrk's summary and
-- latency percentiles as JSON to args[2].
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lib = dofile(dir .. "common.lua")

local threads = lib.threads
setup = lib.setup

function init(args)
  local config = dofile(args[1])
  out_path = args[2]
  requests = {}
  for i, p in ipairs(config.pages) do requests[i] = wrk.format("GET", p.path, { Host = p.host }) end
  cursor = (tid * 7) % #requests -- threads start at different pages
  statuses, cache = {}, {}
end

function request()
  cursor = cursor % #requests + 1
  return requests[cursor]
end

function response(status, headers, body)
  local s = tostring(status)
  statuses[s] = (statuses[s] or 0) + 1
  local c = lib.lower_headers(headers)["x-lattice-cache"] or "none"
  cache[c] = (cache[c] or 0) + 1
end

function done(summary, latency, requests)
  local report = lib.summary(summary, latency)
  report.statuses, report.cache = {}, {}
  for _, t in ipairs(threads) do
    for k, n in pairs(t:get("statuses")) do report.statuses[k] = (report.statuses[k] or 0) + n end
    for k, n in pairs(t:get("cache")) do report.cache[k] = (report.cache[k] or 0) + n end
  end
  lib.write(threads[1]:get("out_path"), lib.json(report))
end
