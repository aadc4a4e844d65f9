-- wrk script: rotate through a list of (path, Authorization) requests, count statuses.
-- The list file (one request per line: path TAB authorization) is named by the
-- BENCH_REQUESTS environment variable; each thread starts at its own offset.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  paths, auths = {}, {}
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local path, auth = line:match("^([^\t]*)\t(.*)$")
    table.insert(paths, path)
    table.insert(auths, auth)
  end
  index = id % #paths
  ok, unavailable, other = 0, 0, 0
end

function request()
  index = index % #paths + 1
  local headers = {}
  if auths[index] ~= "" then headers["Authorization"] = auths[index] end
  return wrk.format("GET", paths[index], headers)
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1
  elseif status == 503 then unavailable = unavailable + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local n200, n503, nother = 0, 0, 0
  for _, thread in ipairs(threads) do
    n200 = n200 + thread:get("ok")
    n503 = n503 + thread:get("unavailable")
    nother = nother + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"p50":%.3f,"p99":%.3f,"requests":%d,"seconds":%.6f,"ok":%d,' ..
    '"unavailable":%d,"other":%d,"socket_errors":%d}\n',
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.duration / 1e6, n200, n503, nother,
    e.connect + e.read + e.write + e.timeout))
end
