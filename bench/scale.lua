-- wrk script of bench/scale.py: web-channel turns of the Pokémon bot.
--
-- Run with as many threads as connections (-t N -c N): a thread's Lua state is
-- then one connection's, so each connection opens its own conversation (a
-- userKey of its own, no token) and sends every later turn with the token the
-- first answer handed out, cycling goto (welcome + cards) -> text (scolded) ->
-- card click (the answer), as bench/http.py does.
--
-- Environment: SCALE_PORTS "8001" or "8001,8002" (threads are spread over the
-- ports: two processes behind one load generator, no load balancer in
-- between), SCALE_TAG (makes the userKeys unique to a phase).
-- done() prints one line: "SCALE {json}" (latencies in microseconds).

local ports = {}
for port in string.gmatch(os.getenv("SCALE_PORTS") or "", "%d+") do
  ports[#ports + 1] = port
end
local tag = os.getenv("SCALE_TAG") or "scale"

local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("id", count)
  if #ports > 0 then
    local port = ports[(count - 1) % #ports + 1]
    thread.addr = wrk.lookup("127.0.0.1", port)[1]
  end
  table.insert(threads, thread)
end

local steps = {
  '"text":"Pick a Pokémon","goto":{"flowId":1}',
  '"text":"hello"',
  '"text":"I choose you!","payload":"{\\"pokemon\\": \\"Squirtle\\"}"',
}

local path = "/channels/web/pokemon/messages"
local user_key
local token = nil
local step = 0
failures = 0 -- answers other than 200 (read by done() through thread:get)
last_failure = ""

function init(args)
  user_key = tag .. "-" .. id
end

function request()
  if token == nil then
    return wrk.format("POST", path, {["Content-Type"] = "application/json"},
      '{"userKey":"' .. user_key .. '"}')
  end
  local body = '{"userKey":"' .. user_key .. '",' .. steps[step % 3 + 1] .. '}'
  step = step + 1
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    last_failure = status .. " " .. string.sub(body or "", 1, 200)
    return
  end
  if token == nil then
    token = string.match(body, '"token":"([^"]+)"')
  end
end

function done(summary, latency, requests)
  local failed = 0
  local example = ""
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("failures") or 0)
    local last = thread:get("last_failure") or ""
    if last ~= "" then example = string.gsub(last, "[^%w %.%-:_/,]", "?") end
  end
  local errors = summary.errors
  io.write(string.format(
    'SCALE {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"non_200":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"timeouts":%d,"example_failure":"%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, failed, errors.connect, errors.read, errors.write, errors.timeout,
    example))
end
