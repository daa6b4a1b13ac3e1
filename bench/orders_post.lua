-- wrk request generator for bench/orders_post.py: POST /orders with two random SKUs.
--   BENCH_TOKEN   a bearer token with cs:orders:manage
--   BENCH_SKUS    a file of SKUs, one a line

local token = os.getenv("BENCH_TOKEN")
local headers = {
  ["Authorization"] = "Bearer " .. token,
  ["Content-Type"] = "application/json",
}

local skus = {}
for line in io.lines(os.getenv("BENCH_SKUS")) do
  skus[#skus + 1] = (line:gsub('[\\"]', "\\%0"))
end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  math.randomseed(2000 + (seed or 0))
end

local template = '{"data": {"customer": {"email": "bench@example.com", "billing": '
  .. '{"first_name": "Ann", "last_name": "Bench"}}, "items": [{"sku": "%s", "quantity": 1}, '
  .. '{"sku": "%s", "quantity": 2}], "shipping_method": "Ground", "shipping_total": 4.95, '
  .. '"payment_method": "Card", "payment_date": "2026-01-02T03:04:05Z"}}'

function request()
  local body = string.format(template, skus[math.random(1, #skus)], skus[math.random(1, #skus)])
  return wrk.format("POST", "/cs/api/v1/orders", headers, body)
end
