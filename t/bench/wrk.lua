-- wrk script of t/bench/run. Requests come from the file named by
-- BENCH_REQUESTS, one per line: METHOD <tab> PATH [<tab> BODY]. wrk's
-- threads take the lines in turn; "{n}" in a path or body becomes a number
-- unique across threads and requests, "{n8}" the same number as 8 digits.
-- Headers come from BENCH_HEADERS ("Name: value" separated by "\n").
-- Thread i of BENCH_THREADS starts at line i * (lines / threads), so a list
-- of distinct requests (receipts) is walked without overlap until a thread
-- has sent its share.
-- done() prints one line "BENCH {json}" for t/bench/run.

local lines = {}
for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    if line ~= "" then
        local m, p, b = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
        lines[#lines + 1] = { method = m, path = p, body = b }
    end
end
local headers = {}
for h in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
    local k, v = h:match("^([^:]+):%s*(.*)$")
    headers[k] = v
end
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

local threads = {}
local next_id = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    threads[#threads + 1] = thread
end

counter, sent, seen, non2xx = 0, 0, 0, 0
local start = 0

function init(args)
    counter = id * 10000000
    start = id * math.floor(#lines / nthreads)
end

local function fill(s, n)
    if not s then return s end
    s = s:gsub("{n8}", string.format("%08d", n % 100000000))
    return (s:gsub("{n}", tostring(n)))
end

function request()
    local l = lines[((start + sent) % #lines) + 1]
    local n = counter
    counter = counter + 1
    sent = sent + 1
    local body = fill(l.body, n)
    if body == "" then body = nil end
    return wrk.format(l.method, fill(l.path, n), headers, body)
end

function response(status, hdrs, body)
    seen = seen + 1
    if status >= 300 and status ~= 304 then
        non2xx = non2xx + 1
        if non2xx <= 3 then
            io.stderr:write("wrk.lua: status " .. status .. ": " .. (body or ""):sub(1, 200) .. "\n")
        end
    end
end

function done(summary, latency, requests)
    local bad, per = 0, {}
    for _, t in ipairs(threads) do
        bad = bad + (t:get("non2xx") or 0)
        per[#per + 1] = string.format('{"sent":%d,"seen":%d}',
                                      t:get("sent") or 0, t:get("seen") or 0)
    end
    io.write(string.format(
        'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
        '"non2xx":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
        '"errors_status":%d,"errors_timeout":%d,"threads":[%s]}\n',
        summary.requests, summary.duration, latency:percentile(50),
        latency:percentile(99), bad, summary.errors.connect,
        summary.errors.read, summary.errors.write, summary.errors.status,
        summary.errors.timeout, table.concat(per, ",")))
end
