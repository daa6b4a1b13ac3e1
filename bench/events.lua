-- wrk request generator for bench/events.py: every request changes something, so every
-- one writes its event. BENCH_* environment variables say what to send.
--   BENCH_METHOD, BENCH_PATH, BENCH_TOKEN   as in wrk.lua ({order}, {sku} in the path)
--   BENCH_BODY          the body; {n} becomes a new number on every request
--   BENCH_MAX_ORDER     the largest order id
--   BENCH_SKUS          a file of SKUs, one a line

local method = os.getenv("BENCH_METHOD") or "PATCH"
local path = os.getenv("BENCH_PATH")
local body = os.getenv("BENCH_BODY") or ""
local max_order = tonumber(os.getenv("BENCH_MAX_ORDER") or "1")
local headers = {["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")}

local skus = {}
for line in io.lines(os.getenv("BENCH_SKUS")) do skus[#skus + 1] = line end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

local counter = 0
function init(args)
  math.randomseed(2000 + (seed or 0))
  counter = (seed or 0) * 100000000
end

function request()
  counter = counter + 1
  local target = path:gsub("{order}", tostring(math.random(1, max_order)))
  if target:find("{sku}", 1, true) then
    local sku = skus[math.random(1, #skus)]
    target = target:gsub("{sku}", (sku:gsub("%%", "%%%%")))
  end
  return wrk.format(method, target, headers, (body:gsub("{n}", tostring(counter))))
end
