-- wrk script: POST /predict with the request bodies the Locust users send (loadtest/locustfile.py), in turn.
--
--   wrk -t1 -c32 -d10s --timeout 60s --latency -s loadtest/predict.lua http://127.0.0.1:PORT -- BODIES
--
-- BODIES lists one request per line: its Content-Type, a tab, then the path of a file holding its body.
-- loadtest/run.py --generator wrk writes these from locustfile's faces (multipart forms, or raw JPEGs with
-- LOADTEST_BODY=raw); by hand, `printf 'image/jpeg\tface.jpg\n' > bodies.tsv` posts one raw image.
-- Only /predict is asked: no /health and no group-photo user, unlike the Locust run.

local prepared, next_request = {}, 1   -- the ready-made HTTP requests, and which one goes next

-- Each wrk thread runs its own copy of this script: every thread reads the bodies and builds its requests once.
function init(args)
   for line in io.lines(args[1]) do
      local ctype, path = line:match("^([^\t]+)\t(.+)$")
      local f = assert(io.open(path, "rb"))
      prepared[#prepared + 1] = wrk.format("POST", "/predict", { ["Content-Type"] = ctype }, f:read("*a"))
      f:close()
   end
   assert(#prepared > 0, "no request bodies in " .. args[1])
end

function request()
   local r = prepared[next_request]
   next_request = next_request % #prepared + 1
   return r
end

-- One line for run.py to parse (latencies in microseconds): wrk's --latency table has no p95.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("facemask-wrk requests=%d duration_us=%d status_errors=%d socket_errors=%d p50_us=%d p95_us=%d p99_us=%d\n",
      summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
