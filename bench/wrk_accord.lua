-- Accord under wrk, signed in as the bench consumer (cookies from bench/http_budget.py).
-- ACCORD_MODE=page: GET the case page.  ACCORD_MODE=file: POST the filing form (303 = a case filed).
dofile(os.getenv("BENCH_SCRIPTS") .. "/wrk_status.lua")

local n = 0
local boundary = "accordbench"

local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end

function init(args)
  codes = {}
  wrk.headers["Cookie"] = os.getenv("ACCORD_COOKIE")
  if os.getenv("ACCORD_MODE") == "file" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
  end
end

function request()
  if os.getenv("ACCORD_MODE") ~= "file" then
    return wrk.format(nil, nil, nil, nil)
  end
  n = n + 1
  local body = part("_csrf_token", os.getenv("ACCORD_CSRF"))
    .. part("enterprise_id", os.getenv("ACCORD_ENTERPRISE"))
    .. part("category", "defective")
    .. part("order_number", "BENCH-" .. n)
    .. part("platform", "Tmall Global")
    .. part("purchase_date", "2026-10-01")
    .. part("product_name", "Wireless earbuds")
    .. part("desired_remedy", "refund")
    .. part("description", "The left earbud does not charge. Photos of the charging case attached.")
    .. part("language", "en")
    .. "--" .. boundary .. "--\r\n"
  return wrk.format(nil, nil, nil, body)
end
