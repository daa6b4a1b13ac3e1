-- wrk request generator for bench/run.py; BENCH_* environment variables say what to send.
--   BENCH_METHOD        GET, POST, PATCH
--   BENCH_PATH          the path; {order} becomes a random order id, {sku} a random SKU
--   BENCH_TOKEN         a bearer token (optional)
--   BENCH_BODY          the request body (optional), BENCH_CONTENT_TYPE its type; {level}
--                       becomes a random stock level, {stock_lines} a JSON array of
--                       BENCH_LINES lines setting distinct random SKUs to random levels
--   BENCH_MAX_ORDER     the largest order id
--   BENCH_SKUS          a file of SKUs, one a line
--   BENCH_LINES         lines of {stock_lines} (default 100)

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH")
local body = os.getenv("BENCH_BODY")
if body == "" then body = nil end
local max_order = tonumber(os.getenv("BENCH_MAX_ORDER") or "1")
local line_count = tonumber(os.getenv("BENCH_LINES") or "100")

local headers = {}
local token = os.getenv("BENCH_TOKEN") or ""
if token ~= "" then headers["Authorization"] = "Bearer " .. token end
local content_type = os.getenv("BENCH_CONTENT_TYPE") or ""
if content_type ~= "" then headers["Content-Type"] = content_type end

local skus = {}
local sku_file = os.getenv("BENCH_SKUS") or ""
if sku_file ~= "" then
  for line in io.lines(sku_file) do skus[#skus + 1] = line end
end

local function json_string(text)
  return '"' .. (text:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end)) .. '"'
end

-- The first line_count SKUs of a partial shuffle: distinct, as a bulk request needs.
local function stock_lines()
  local parts = {}
  for i = 1, line_count do
    local j = math.random(i, #skus)
    skus[i], skus[j] = skus[j], skus[i]
    parts[i] = '{"sku": ' .. json_string(skus[i]) .. ', "stock_level": '
      .. tostring(math.random(0, 100000)) .. '}'
  end
  return "[" .. table.concat(parts, ", ") .. "]"
end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  -- The same sequence of ids and SKUs on every run, different per thread.
  math.randomseed(1000 + (seed or 0))
end

function request()
  local target = path
  if target:find("{order}", 1, true) then
    target = target:gsub("{order}", tostring(math.random(1, max_order)))
  end
  if target:find("{sku}", 1, true) then
    local sku = skus[math.random(1, #skus)]
    target = target:gsub("{sku}", (sku:gsub("%%", "%%%%")))
  end
  local sent = body
  if sent and sent:find("{level}", 1, true) then
    sent = sent:gsub("{level}", tostring(math.random(0, 100000)))
  end
  if sent and sent:find("{stock_lines}", 1, true) then
    sent = sent:gsub("{stock_lines}", stock_lines)
  end
  return wrk.format(method, target, headers, sent)
end
