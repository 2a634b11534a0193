-- Replays pre-signed requests from a file, in order, each once (then wraps around).
-- File format: per request two lines: "agent<TAB>timestamp<TAB>seq<TAB>signature" and the body.
-- args: file path, request path, target rate per second (0 = as fast as possible), connections.
-- A target rate is held for the whole thread, not per connection: each request takes the next
-- slot of a fixed schedule (1000/rate ms apart), so slow answers do not lower the offered load
-- as long as connections are free (a fixed pause per connection would: rate = 1/(pause+latency)).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } canh_timespec;
int clock_gettime(int clk_id, canh_timespec *tp);
]]
local clock = ffi.new("canh_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local reqs = {}
local idx = 0
local interval = 0
local next_at = 0

init = function(args)
  local f = assert(io.open(args[1], "r"))
  while true do
    local h = f:read("*l")
    if not h then break end
    local body = f:read("*l")
    local agent, ts, seq, sig = h:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)")
    reqs[#reqs + 1] = wrk.format("POST", args[2], {
      ["Content-Type"] = "application/json",
      ["X-Canh-Agent"] = agent, ["X-Canh-Timestamp"] = ts,
      ["X-Canh-Seq"] = seq, ["X-Canh-Signature"] = sig,
    }, body)
  end
  f:close()
  local rate = tonumber(args[3])
  if rate > 0 then interval = 1000 / rate end
end

request = function()
  idx = idx + 1
  if idx > #reqs then idx = 1 end
  return reqs[idx]
end

delay = function()
  if interval == 0 then return 0 end
  local now = now_ms()
  local slot = math.max(next_at, now)
  next_at = slot + interval
  return slot - now
end
