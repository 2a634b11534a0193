-- Replays pre-signed requests from a file, in order, each once (then wraps around).
-- File format: per request two lines: "agent<TAB>timestamp<TAB>seq<TAB>signature" and the body.
-- args: file path, request path, target rate per second (0 = as fast as possible), connections.
local reqs = {}
local idx = 0
local pause = 0

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
  local rate, conns = tonumber(args[3]), tonumber(args[4])
  if rate > 0 then pause = conns * 1000 / rate end
end

request = function()
  idx = idx + 1
  if idx > #reqs then idx = 1 end
  return reqs[idx]
end

delay = function()
  return pause
end
