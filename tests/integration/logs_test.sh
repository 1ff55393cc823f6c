#!/usr/bin/env bash
# logs_test.sh: GET /api/v1/logs/... and `flytec logs` on the local executor (docs/api.md "Logs"): the log of a
# finished attempt (stdout then stderr), offsets and limits with their headers, one stream, bad arguments, 404s for
# an unknown execution / node / attempt, log paths from events that lead outside the executor's directory (read as
# empty), a follower of a running attempt (woken by the bytes, no thread held: the other requests keep being
# answered), `flytec logs -f` until the attempt ends, a server stopped while followers wait, and the token rules.
. "$(dirname "$0")/admin_lib.sh"

R=$T/repo
PD=demo/development
mkdir -p "$R"
cat >"$R/flow.yaml" <<'EOF'
project: demo
tasks:
  - name: talk
    type: raw-container
    container:
      image: debian:12-slim
      command: [sh, -c, 'echo one; echo two; echo three; echo oops >&2']
  - name: ticker
    type: raw-container
    inputs: {gate: string}
    container:
      image: debian:12-slim
      command: [sh, -c, 'echo first; while [ ! -e "$1" ]; do sleep 0.1; done; echo second; while [ ! -e "$1.end" ]; do sleep 0.1; done; echo last', ticker, "{{.inputs.gate}}"]
workflows:
  - name: talker
    nodes:
      - {id: t, task: talk}
  - name: ticking
    inputs: {gate: string}
    nodes:
      - {id: k, task: ticker, inputs: {gate: !ref inputs.gate}}
EOF
adm_start --repo "$R"

launch() { # launch-plan name [inputs-json]
	post /api/v1/executions "{\"project\":\"demo\",\"domain\":\"development\",\"name\":\"$2\",
		\"spec\":{\"launchPlan\":{\"project\":\"demo\",\"domain\":\"development\",\"name\":\"$1\"}}${3:+,\"inputs\":$3}}"
}
# logs PATH-AND-QUERY [curl args]: body in $T/out, headers in $T/hdr, status in $CODE
logs() { CODE=$(curl -s -D "$T/hdr" -o "$T/out" -w '%{http_code}' "${@:2}" "$URL/api/v1/logs/$1"); }
hdr() { sed -n "s/^$1: *//Ip" "$T/hdr" | tr -d '\r'; }

launch talker e1
check launch eq "$CODE" 200
check finished wait_for /api/v1/executions/$PD/e1 'd["closure"]["phase"]' SUCCEEDED

# --- a finished attempt -----------------------------------------------------------------------------------------
logs $PD/e1/t
check finished-200 eq "$CODE" 200
check finished-text-plain eq "$(hdr Content-Type)" "text/plain; charset=utf-8"
check finished-stdout-then-stderr eq "$(cat "$T/out")" "$(printf 'one\ntwo\nthree\noops')"
check finished-next-offset eq "$(hdr X-Log-Next-Offset)" 19
check finished-complete eq "$(hdr X-Log-Complete)" true

logs "$PD/e1/t?offset=4&limit=5"
check piece-bytes eq "$(cat "$T/out")" "$(printf 'two\nt')"
check piece-next-offset eq "$(hdr X-Log-Next-Offset)" 9
check piece-not-complete eq "$(hdr X-Log-Complete)" false
logs "$PD/e1/t?offset=11&limit=100"
check piece-across-files eq "$(cat "$T/out")" "$(printf 'ee\noops')"
check piece-last-complete eq "$(hdr X-Log-Complete)" true
logs "$PD/e1/t?offset=19"
check at-end-empty eq "$(wc -c <"$T/out")" 0
check at-end-complete eq "$(hdr X-Log-Complete):$(hdr X-Log-Next-Offset)" true:19
logs "$PD/e1/t?offset=500"
check past-end-empty eq "$CODE:$(wc -c <"$T/out"):$(hdr X-Log-Next-Offset)" 200:0:500
logs "$PD/e1/t?stream=stderr"
check stream-stderr eq "$(cat "$T/out")" oops
logs "$PD/e1/t?attempt=0&follow=1"
check attempt-0-finished-follow-answers-at-once eq "$CODE:$(hdr X-Log-Complete)" 200:true

# --- bad arguments and unknown things ---------------------------------------------------------------------------
logs "$PD/e1/t?limit=4194305"
check limit-over-4MiB-400 eq "$CODE" 400
check limit-message contains "$(cat "$T/out")" '"message"'
logs "$PD/e1/t?limit=0"
check limit-0-400 eq "$CODE" 400
logs "$PD/e1/t?offset=-1"
check offset-negative-400 eq "$CODE" 400
logs "$PD/e1/t?attempt=x"
check attempt-not-number-400 eq "$CODE" 400
logs "$PD/e1/t?follow=maybe"
check follow-bad-400 eq "$CODE" 400
logs "$PD/nope/t"
check unknown-execution-404 eq "$CODE:$(jget 'd["code"]')" 404:not_found
logs "$PD/e1/zz"
check unknown-node-404 eq "$CODE:$(jget 'd["code"]')" 404:not_found
logs "$PD/e1/t?attempt=3"
check unknown-attempt-404 eq "$CODE" 404
check unknown-attempt-says-so contains "$(jget 'd["message"]')" "no attempt 3"
logs "$PD/e1/end-node"
check node-without-attempt-404 eq "$CODE" 404

# --- flytec logs ---------------------------------------------------------------------------------------------
check cli-prints-log eq "$("$FLYTEC" logs e1 t -p demo -d development --admin "$URL")" "$(printf 'one\ntwo\nthree\noops')"
check cli-stream eq "$("$FLYTEC" logs e1 t --stream stdout -p demo -d development --admin "$URL")" "$(printf 'one\ntwo\nthree')"
"$FLYTEC" logs e1 nope -p demo -d development --admin "$URL" >"$T/cli.out" 2>"$T/cli.err"
check cli-unknown-node-exit-1 eq "$?" 1
check cli-unknown-node-message contains "$(cat "$T/cli.err")" "404"
"$FLYTEC" logs e1 >/dev/null 2>&1
check cli-usage-exit-2 eq "$?" 2

# --- a running attempt, followed ---------------------------------------------------------------------------------
gate=$T/gate
launch ticking r1 "{\"literals\":{\"gate\":{\"scalar\":{\"primitive\":{\"stringValue\":\"$gate\"}}}}}"
wait_first_line() {
	for _ in $(seq 1 400); do
		logs $PD/r1/k
		[ "$CODE" = 200 ] && [ "$(cat "$T/out")" = first ] && return 0
		sleep 0.05
	done
	echo "    no 'first' line: $CODE $(cat "$T/out")"
	return 1
}
check running-first-line wait_first_line
check running-not-complete eq "$(hdr X-Log-Complete):$(hdr X-Log-Next-Offset)" false:6
"$FLYTEC" logs -f r1 k -p demo -d development --admin "$URL" >"$T/follow.out" 2>"$T/follow.err" &
cli_pid=$!
# a follower at the end waits; meanwhile the server answers others (two threads, three waiting followers)
for i in 1 2 3; do
	curl -s -D "$T/fhdr$i" -o "$T/fout$i" -w '%{time_total}' "$URL/api/v1/logs/$PD/r1/k?offset=6&follow=1" >"$T/ftime$i" &
	eval "f$i=\$!"
done
sleep 1
t0=$(date +%s.%N)
get /api/v1/executions/$PD/r1
t1=$(date +%s.%N)
check others-answered-while-followers-wait eq "$CODE" 200
# held threads would keep this request until the followers' 25 s are over; 10 s leaves room for a loaded machine
check others-answered-while-followers-wait-fast test "$(echo "$t1 - $t0 < 10" | bc)" = 1
touch "$gate"
wait "$f1" "$f2" "$f3"
check follower-woken-with-second-line eq "$(cat "$T/fout1")" second
check follower-2-too eq "$(cat "$T/fout3")" second
check follower-next-offset eq "$(sed -n 's/^X-Log-Next-Offset: *//Ip' "$T/fhdr1" | tr -d '\r')" 13
check follower-waited-not-25s test "$(echo "$(cat "$T/ftime1") < 20" | bc)" = 1
touch "$gate.end"
check running-finishes wait_for /api/v1/executions/$PD/r1 'd["closure"]["phase"]' SUCCEEDED
cli_done() {
	for _ in $(seq 1 100); do kill -0 "$cli_pid" 2>/dev/null || return 0; sleep 0.1; done
	echo "    flytec logs -f still runs after the attempt ended"; return 1
}
check cli-follow-stops-when-complete cli_done
wait "$cli_pid"
check cli-follow-exit-0 eq "$?" 0
check cli-follow-printed-all eq "$(cat "$T/follow.out")" "$(printf 'first\nsecond\nlast')"

# --- log paths from events are read only under the executor's directory -----------------------------------------
launch ticking r3 "{\"literals\":{\"gate\":{\"scalar\":{\"primitive\":{\"stringValue\":\"$T/gate3\"}}}}}"
wait_r3() {
	for _ in $(seq 1 400); do logs $PD/r3/k; [ "$(cat "$T/out")" = first ] && return 0; sleep 0.05; done
	return 1
}
check r3-running wait_r3
ln -s /etc/passwd "$T/propeller/evil.log"
xid='{"project":"demo","domain":"development","name":"r3"}'
fake_attempt() { # fake_attempt NODE URI: a node and a running attempt whose log is URI, posted as events
	post /api/v1/events/nodes "{\"requestId\":\"n-$1\",\"event\":{\"id\":{\"nodeId\":\"$1\",\"executionId\":$xid},
		\"phase\":\"RUNNING\",\"occurredAt\":\"2026-01-01T00:00:00Z\",\"producerId\":\"test\"}}" &&
	post /api/v1/events/tasks "{\"requestId\":\"t-$1\",\"event\":{\"taskId\":{\"resourceType\":\"TASK\",\"project\":\"demo\",
		\"domain\":\"development\",\"name\":\"ticker\",\"version\":\"v\"},\"parentNodeExecutionId\":{\"nodeId\":\"$1\",
		\"executionId\":$xid},\"retryAttempt\":0,\"phase\":\"RUNNING\",\"occurredAt\":\"2026-01-01T00:00:00Z\",
		\"producerId\":\"test\",\"logs\":[{\"uri\":\"$2\",\"name\":\"stdout\"}]}}" && [ "$CODE" = 200 ]
}
check event-outside-root-posted fake_attempt x1 /etc/passwd
logs $PD/r3/x1
check outside-root-reads-empty eq "$CODE:$(wc -c <"$T/out"):$(hdr X-Log-Complete)" 200:0:false
check event-link-out-posted fake_attempt x2 "$T/propeller/evil.log"
logs $PD/r3/x2
check link-leaving-root-reads-empty eq "$CODE:$(wc -c <"$T/out")" 200:0
check event-dotdot-posted fake_attempt x3 "$T/propeller/../server.log"
logs $PD/r3/x3
check dotdot-leaving-root-reads-empty eq "$CODE:$(wc -c <"$T/out")" 200:0
touch "$T/gate3" "$T/gate3.end"
check r3-finishes wait_for /api/v1/executions/$PD/r3 'd["closure"]["phase"]' SUCCEEDED

# --- a follower waiting when the server stops: answered, no hang, no sanitizer report ------------------------------
launch ticking r2 "{\"literals\":{\"gate\":{\"scalar\":{\"primitive\":{\"stringValue\":\"$T/gate2\"}}}}}"
wait_r2() {
	for _ in $(seq 1 400); do
		logs $PD/r2/k
		[ "$(cat "$T/out")" = first ] && return 0
		sleep 0.05
	done
	return 1
}
check r2-running wait_r2
curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/logs/$PD/r2/k?offset=6&follow=1" >"$T/stopcode" &
fpid=$!
sleep 0.5
t0=$(date +%s)
adm_stop
wait "$fpid"
t1=$(date +%s)
check stop-with-follower-fast test $((t1 - t0)) -lt 15
touch "$T/gate2" "$T/gate2.end"

# --- token: reads need it unless --public-reads --------------------------------------------------------------------
echo s3cret >"$T/token"
adm_start --repo "$R" --token-file "$T/token"
logs $PD/e1/t
check token-missing-401 eq "$CODE" 401
logs $PD/e1/t -H "Authorization: Bearer s3cret"
check token-given-200 eq "$CODE:$(cat "$T/out" | head -n 1)" 200:one
check cli-token-file eq "$("$FLYTEC" logs e1 t -p demo -d development --admin "$URL" --token-file "$T/token" | head -n 1)" one
"$FLYTEC" logs e1 t -p demo -d development --admin "$URL" >/dev/null 2>&1
check cli-no-token-exit-2 eq "$?" 2
# the same config file as the other client commands: admin, token file, project, domain (options override it)
printf 'admin = %s/\ntoken_file = %s\nproject = demo\ndomain = development\n' "$URL" "$T/token" >"$T/flytec.conf"
check cli-config-file eq "$("$FLYTEC" logs e1 t --config "$T/flytec.conf" | head -n 1)" one
check cli-config-env eq "$(FLYTEC_CONFIG="$T/flytec.conf" "$FLYTEC" logs e1 t | head -n 1)" one
FLYTEC_CONFIG="$T/flytec.conf" "$FLYTEC" logs e1 t -p other >"$T/cli.out" 2>"$T/cli.err"
check cli-option-over-config eq "$?:$(grep -c 'other' "$T/cli.err")" 1:1
printf 'admin = %s\nbogus = 1\n' "$URL" >"$T/bad.conf"
"$FLYTEC" logs e1 t --config "$T/bad.conf" >/dev/null 2>"$T/cli.err"
check cli-config-bad-key eq "$?:$(cat "$T/cli.err")" "2:flytec: $T/bad.conf:2: unknown key 'bogus' (admin, token_file, ca_file, project, domain)"
adm_stop
adm_start --repo "$R" --token-file "$T/token" --public-reads
logs $PD/e1/t
check public-reads-200 eq "$CODE" 200

adm_done
