#!/usr/bin/env bash
# exec_cache_test.sh: the server caches each execution's GET answer (admin-lite/server.c, adm_cache_reply_exec) and
# forgets it at the store's change notice. A GET after any change must show it: right after a REST event, after a
# terminate, to a client that reads again as soon as its watch stream shows the change, in the protobuf encoding
# too, and while other clients keep reading the same execution; the same for a node execution's answer. (The gRPC
# door's case is in grpc_client.py.)
. "$(dirname "$0")/admin_lib.sh"

adm_start --no-executor --no-scheduler
PD=flytesnacks/development
P='"project":"flytesnacks","domain":"development"'
TASK='{"id":{"resourceType":"TASK",'$P',"name":"t","version":"v1"},"spec":{"template":{"id":{"resourceType":"TASK",'$P',"name":"t","version":"v1"},"type":"container","interface":{},"container":{"image":"alpine"}}}}'
WF='{"id":{"resourceType":"WORKFLOW",'$P',"name":"wf","version":"v1"},"spec":{"template":{"id":{"resourceType":"WORKFLOW",'$P',"name":"wf","version":"v1"},"interface":{},"nodes":[{"id":"n0","taskNode":{"referenceId":{"resourceType":"TASK",'$P',"name":"t","version":"v1"}}}]}}}'
LP='{"id":{"resourceType":"LAUNCH_PLAN",'$P',"name":"main","version":"v1"},"spec":{"workflowId":{"resourceType":"WORKFLOW",'$P',"name":"wf","version":"v1"}}}'
post /api/v1/projects '{"project":{"id":"flytesnacks","name":"flytesnacks"}}'
post /api/v1/tasks "$TASK";                 check task eq "$CODE" 200
post /api/v1/workflows "$WF";               check workflow eq "$CODE" 200
post /api/v1/launch_plans "$LP";            check launch-plan eq "$CODE" 200
launch() { post /api/v1/executions '{'$P',"name":"'"$1"'","spec":{"launchPlan":{"resourceType":"LAUNCH_PLAN",'$P',"name":"main","version":"v1"}}}'; }
ev() { post /api/v1/events/workflows '{"requestId":"r","event":{"executionId":{'$P',"name":"'"$1"'"},"phase":"'"$2"'","occurredAt":"'"$3"'"}}'; }
phase() { get /api/v1/executions/$PD/$1; jget 'd["closure"]["phase"]'; }

# --- each change is in the next GET (the answer read twice before it: the second from the cache)
N=${EXEC_CACHE_N:-20}
ok=0
for i in $(seq 1 "$N"); do
	launch "e$i"
	a=$(phase "e$i"); b=$(phase "e$i")
	ev "e$i" RUNNING 2024-01-01T00:00:0${i: -1}Z
	c=$(phase "e$i"); d=$(phase "e$i")
	ev "e$i" SUCCEEDED 2024-01-01T00:01:0${i: -1}Z
	e=$(phase "e$i")
	[ "$a $b $c $d $e" = "QUEUED QUEUED RUNNING RUNNING SUCCEEDED" ] && ok=$((ok + 1)) || echo "    e$i: $a $b $c $d $e"
done
check "every change is in the next GET ($N executions)" eq "$ok" "$N"

# --- a terminate
launch k1
phase k1 >/dev/null; phase k1 >/dev/null
del /api/v1/executions/$PD/k1 -H 'Content-Type: application/json' --data-binary '{"cause":"test"}'
check terminate eq "$CODE" 200
check "the GET after a terminate shows it" eq "$(phase k1)" ABORTED

# --- the protobuf encoding is cached apart from JSON, and forgotten with it
launch pb1
getpb() { curl -s -H 'Accept: application/octet-stream' "$URL/api/v1/executions/$PD/pb1" | md5sum; }
P1=$(getpb); P2=$(getpb)
check "protobuf answer repeated" eq "$P2" "$P1"
ev pb1 RUNNING 2024-01-01T00:00:00Z
check "protobuf answer after a change differs" test "$(getpb)" != "$P1"
check "JSON answer after the same change" eq "$(phase pb1)" RUNNING

# --- a watch stream's client reads again as soon as the stream shows the change
launch w1
phase w1 >/dev/null; phase w1 >/dev/null
curl -sN "$URL/api/v1/watch/executions/$PD/w1" >"$T/w1.sse" 2>/dev/null &
W=$!
for _ in $(seq 1 100); do grep -q QUEUED "$T/w1.sse" 2>/dev/null && break; sleep 0.05; done
ev w1 RUNNING 2024-01-01T00:00:00Z
seen=""
for _ in $(seq 1 200); do
	if grep -q RUNNING "$T/w1.sse"; then seen=$(phase w1); break; fi
	sleep 0.02
done
kill "$W" 2>/dev/null; wait "$W" 2>/dev/null
check "the GET a watch client makes on its event shows the event's phase" eq "$seen" RUNNING

# --- readers hammering the same execution while it changes: each change is in the GET after its write
launch h1
( while :; do curl -s -o /dev/null "$URL/api/v1/executions/$PD/h1"; done ) &
R1=$!
( while :; do curl -s -o /dev/null "$URL/api/v1/executions/$PD/h1"; done ) &
R2=$!
ev h1 RUNNING 2024-01-01T00:00:00Z;   r=$(phase h1)
ev h1 SUCCEEDED 2024-01-01T00:00:05Z; s=$(phase h1)
kill "$R1" "$R2" 2>/dev/null; wait "$R1" "$R2" 2>/dev/null
check "under concurrent readers: RUNNING then SUCCEEDED" eq "$r $s" "RUNNING SUCCEEDED"

# --- a node execution's answer: cached the same way, forgotten at its execution's notice
launch n1
nev() { post /api/v1/events/nodes '{"requestId":"r","event":{"id":{"nodeId":"n0","executionId":{'$P',"name":"n1"}},"phase":"'"$1"'","occurredAt":"'"$2"'","inputUri":"file:///in.pb"}}'; }
nphase() { get /api/v1/node_executions/$PD/n1/n0; jget 'd["closure"]["phase"]'; }
nev QUEUED 2024-01-01T00:00:00Z
check node-event eq "$CODE" 200
a=$(nphase); b=$(nphase)
nev RUNNING 2024-01-01T00:00:01Z
c=$(nphase)
nev SUCCEEDED 2024-01-01T00:00:02Z
d=$(nphase)
check "each node change is in the next GET of the node" eq "$a $b $c $d" "QUEUED QUEUED RUNNING SUCCEEDED"

# --- an unknown execution is a 404 each time (errors are not cached)
get /api/v1/executions/$PD/nope; check unknown-404 eq "$CODE" 404
launch nope
check "it exists once launched" eq "$(phase nope)" QUEUED
adm_done
