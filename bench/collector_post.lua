-- collector_post.lua: wrk script POSTing realistic 13-endpoint reports (the
-- sample agent report) with a fresh report_id each and host names cycling
-- over HOSTS, so that a run also fills the fleet tables.
local template_path = os.getenv("COL_SAMPLE")
local token = os.getenv("COL_TOKEN")
local host_count = tonumber(os.getenv("COL_HOSTS") or "50000")
local counter = 0
local head, middle, tail

local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  tid = tid or 0 -- set by setup() through thread:set
  math.randomseed(os.time() * 100 + tid)
  local f = assert(io.open(template_path, "rb"))
  local doc = f:read("*a")
  f:close()
  -- Split around the two values that change, so a request is three concatenations.
  local a, b = doc:find('"report_id":"[^"]*"')
  head = doc:sub(1, a - 1) .. '"report_id":"'
  local rest = doc:sub(b + 1)
  local c, d = rest:find('"host_name":"[^"]*"')
  middle = rest:sub(1, c - 1) .. '"host_name":"'
  tail = '"' .. rest:sub(d + 1)
  rest = nil
end

function request()
  counter = counter + 1
  local id = string.format("%08x-%04x-4000-8000-%012x", math.random(0, 0x7fffffff), tid, counter)
  local host = string.format("pc-%05d.corp.example", (counter * 7 + tid * 7919) % host_count)
  local body = head .. id .. '"' .. middle .. host .. tail
  return wrk.format("POST", "/api/v1/reports",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
