-- wrk script: GET /api/v1/executions/bench/development/eNNNNNN for random names of the first N (bench_exec's
-- names), N given after `--` on wrk's command line. Each wrk thread formats the N requests once (init) and picks
-- one at random per request: formatting each request (string.format + wrk.format) cost wrk 3.2 us of CPU per
-- request, the table 1.9 us, CPU the server shares on these two cores (bench/RESULTS.md, 2026-12-07 h5G).
local n, reqs = 0, {}
init = function(args)
  n = tonumber(args[1])
  for i = 0, n - 1 do
    reqs[i + 1] = wrk.format("GET", string.format("/api/v1/executions/bench/development/e%06d", i))
  end
  math.randomseed(7)
end
request = function()
  return reqs[math.random(1, n)]
end
