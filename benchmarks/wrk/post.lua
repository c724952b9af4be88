-- wrk script for run.sh's wrk part: POSTs the JSON body in the file named by $BODY to the URL
-- given on wrk's command line, and ends with one line run.sh reads:
-- RESULT requests=N duration_us=N errors=N non2xx=N p50_us=N p99_us=N
local file = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d errors=%d non2xx=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
