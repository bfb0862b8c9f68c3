-- Shared by the wrk scripts of scripts/bench-load (bench/load.mjs): a monotonic clock in ms
-- (LuaJIT's ffi, which Debian's wrk links), a JSON encoder for done()'s report, and the thread
-- bookkeeping. Each wrk thread runs its own Lua state; done() runs in the main one and reads
-- the threads' globals with thread:get (tables are copied).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } lattice_timespec;
  int clock_gettime(int clock, lattice_timespec *ts);
]]
local ts = ffi.new("lattice_timespec")

local M = {}

-- wrk's setup(thread) for both scripts: numbers the threads (their global `tid`, from 0) and keeps
-- them in M.threads for done().
M.threads = {}
function M.setup(thread)
  thread:set("tid", #M.threads)
  table.insert(M.threads, thread)
end

function M.now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local function encode(v, out)
  local t = type(v)
  if t == "table" then
    if #v > 0 or next(v) == nil and getmetatable(v) == M.array then
      out[#out + 1] = "["
      for i, x in ipairs(v) do
        if i > 1 then out[#out + 1] = "," end
        encode(x, out)
      end
      out[#out + 1] = "]"
    else
      out[#out + 1] = "{"
      local first = true
      for k, x in pairs(v) do
        if not first then out[#out + 1] = "," end
        first = false
        encode(tostring(k), out)
        out[#out + 1] = ":"
        encode(x, out)
      end
      out[#out + 1] = "}"
    end
  elseif t == "string" then
    out[#out + 1] = '"' .. v:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  elseif t == "number" then
    out[#out + 1] = (v ~= v or v == math.huge or v == -math.huge) and "null" or string.format("%.17g", v)
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  else
    out[#out + 1] = "null"
  end
end

M.array = {}
function M.json(v)
  local out = {}
  encode(v, out)
  return table.concat(out)
end

-- wrk's own view of the run: totals, socket errors and latency percentiles (ms) over every request.
function M.summary(summary, latency)
  local pct = {}
  for _, p in ipairs({ 50, 75, 90, 99, 99.9 }) do pct[tostring(p)] = latency:percentile(p) / 1000 end
  return {
    requests = summary.requests,
    duration_s = summary.duration / 1e6,
    bytes = summary.bytes,
    errors = summary.errors,
    latency_ms = { percentiles = pct, mean = latency.mean / 1000, stdev = latency.stdev / 1000, max = latency.max / 1000 },
  }
end

function M.write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

function M.lower_headers(headers)
  local h = {}
  for k, v in pairs(headers) do h[string.lower(k)] = v end
  return h
end

return M
