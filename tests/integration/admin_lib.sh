# admin_lib.sh: helpers for the admin-lite integration tests (sourced, not run).
#
# adm_start [serve args...]  starts `flytec serve` on a free loopback port with a temp db (and whatever args are
#                            given, e.g. --repo), waits until it answers, and sets $URL, $PORT, $T (temp dir).
# adm_stop / adm_restart     stop (SIGTERM, then wait), start again on the same db and args.
# get/post/put/del PATH [BODY]  curl the API; the body goes to $T/out, the status to $CODE.
# jget EXPR                  evaluate a Python expression over the last JSON answer `d`.
# check NAME COND...         record a pass or a failure (COND is a shell command).
# Everything is cleaned up by the EXIT trap: no process is left behind.
set -u
cd "$(dirname "$0")/../.." || exit 2
FLYTEC=${FLYTEC:-$PWD/bin/flytec}
T=$(mktemp -d "${TMPDIR:-/tmp}/flytec-admin-test.XXXXXX")
SERVER_PID=""
SERVE_ARGS=()
PASS=0
FAIL=0
CODE=0

adm_cleanup() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap adm_cleanup EXIT

if ! "$FLYTEC" serve --help >/dev/null 2>&1; then
	echo "FAIL: '$FLYTEC serve' is not available (cli/cmd_admin.h commands must be in cli/main.c)"
	exit 1
fi

adm_start() {
	[ $# -gt 0 ] && SERVE_ARGS=("$@")
	rm -f "$T/port"
	"$FLYTEC" serve --db "$T/admin.db" --listen 127.0.0.1:0 --port-file "$T/port" "${SERVE_ARGS[@]}" \
		>>"$T/server.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 200); do
		[ -s "$T/port" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died:"; cat "$T/server.log"; return 1; }
		sleep 0.05
	done
	PORT=$(cat "$T/port")
	URL="http://127.0.0.1:$PORT"
}

adm_stop() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=""
	fi
	# a sanitizer build reports there (leaks at exit included)
	if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T/server.log" 2>/dev/null; then
		FAIL=$((FAIL + 1))
		echo "  FAIL: the server reported a sanitizer error:"
		grep -A 30 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T/server.log" | head -60
		: >"$T/server.log"
	fi
}

adm_restart() {
	adm_stop
	adm_start
}

_curl() {
	local method=$1 path=$2
	shift 2
	CODE=$(curl -s -o "$T/out" -w '%{http_code}' -X "$method" "$@" "$URL$path")
}
get() { _curl GET "$1" "${@:2}"; }
post() { _curl POST "$1" -H 'Content-Type: application/json' --data-binary "$2" "${@:3}"; }
put() { _curl PUT "$1" -H 'Content-Type: application/json' --data-binary "$2" "${@:3}"; }
del() { _curl DELETE "$1" "${@:2}"; }

jget() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
r=eval(sys.argv[2])
print(json.dumps(r) if isinstance(r,(dict,list)) else r)' "$T/out" "$1" 2>/dev/null
}

check() {
	local name=$1
	shift
	if "$@"; then
		PASS=$((PASS + 1))
	else
		FAIL=$((FAIL + 1))
		echo "  FAIL: $name (last answer $CODE: $(head -c 400 "$T/out" 2>/dev/null))"
	fi
}

eq() { [ "$1" = "$2" ] || { echo "    expected '$2', got '$1'"; return 1; }; }
contains() { case "$1" in *"$2"*) return 0 ;; *) echo "    '$2' not in '${1:0:300}'"; return 1 ;; esac; }

# Wait until `get PATH` answers and jget EXPR prints VALUE (up to ~5 s).
wait_for() {
	local path=$1 expr=$2 want=$3
	for _ in $(seq 1 100); do
		get "$path"
		[ "$(jget "$expr")" = "$want" ] && return 0
		sleep 0.05
	done
	echo "    timed out waiting for $expr == $want on $path (got '$(jget "$expr")')"
	return 1
}

adm_done() {
	adm_stop
	echo "$(basename "$0"): $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
