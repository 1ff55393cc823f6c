#!/usr/bin/env bash
# demo-serve.sh FLYTEC: the admin part of `make demo`. Starts `flytec serve` on a copy of examples/workflows/,
# shows what got registered, edits a spec (a new version appears), breaks one (errors, the last good version
# stays), launches an execution, and stops the server. Nothing outside a temp directory is touched.
set -u
cd "$(dirname "$0")/.." || exit 2
flytec=${1:-bin/flytec}
case "$flytec" in /*) ;; *) flytec="$PWD/$flytec" ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flytec-demo.XXXXXX")
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
say() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

cp -r examples/workflows "$tmp/repo"
"$flytec" serve --repo "$tmp/repo" --data-dir "$tmp/data" --listen 127.0.0.1:0 --port-file "$tmp/port" \
	>"$tmp/serve.log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || { cat "$tmp/serve.log"; exit 1; }
export FLYTEC_ADMIN="http://127.0.0.1:$(cat "$tmp/port")"
project=$(sed -n 's/^project: *//p' examples/workflows/*.yaml | head -n 1)
project=${project:-flytesnacks}
say "flytec serve --repo $tmp/repo is listening on $FLYTEC_ADMIN; it compiled and registered the repository"
run "$flytec" status
run "$flytec" get workflows -p "$project"
run "$flytec" get launch-plans -p "$project"
say "the scheduler arms the active launch plans that have a schedule (the nightly ETL)"
run "$flytec" get schedules -p "$project"
say "the same through the REST API (docs/api.md)"
run curl -s "$FLYTEC_ADMIN/api/v1/launch_plan_ids/$project/development"
echo

say "add a spec file: the watcher compiles and registers it"
printf 'project: %s\ntasks:\n  - name: demo_greet\n    inputs: {who: string}\n    outputs: {greeting: string}\n    container: {image: "alpine:3.19", command: [sh, -c, "echo hello"]}\n' \
	"$project" >"$tmp/repo/demo_extra.yaml"
sleep 0.5
run "$flytec" get tasks demo_greet -p "$project"
say "edit it in place: a new version is registered, the old one stays"
sed -i 's/echo hello/echo hello again/' "$tmp/repo/demo_extra.yaml"
sleep 0.5
run "$flytec" get tasks demo_greet -p "$project"

say "break a spec: the error shows with its position, the last good versions stay registered"
printf 'workflows:\n  - name: broken\n    nodes:\n      - {id: a, task: no_such_task}\n' >"$tmp/repo/broken.yaml"
sleep 0.5
run "$flytec" status
rm "$tmp/repo/broken.yaml"

lp=$("$flytec" get launch-plans -p "$project" -o json | python3 -c 'import json,sys; e=json.load(sys.stdin).get("entities",[]); print(e[0]["name"] if e else "")')
if [ -n "$lp" ]; then
	say "launch $lp: the executor in serve claims it, the propeller runs it, events come back to the admin"
	run "$flytec" launch "$lp" -p "$project" --name demo-run
	for _ in $(seq 1 100); do
		"$flytec" get executions demo-run -p "$project" | grep -qE "SUCCEEDED|FAILED|ABORTED" && break
		sleep 0.1
	done
	run "$flytec" get executions demo-run -p "$project"
	run "$flytec" get nodes demo-run -p "$project"
fi
if [ "${FLYTEC_DEMO_STAY:-1}" = 1 ]; then
	say "the web console: $FLYTEC_ADMIN/console/"
	echo "Open it in a browser: projects, the DAGs, the executions above (demo-run), the repository's files and"
	echo "the schedules. The server stays running for that (pid $pid, state in $tmp); stop it with:"
	echo "  kill $pid; rm -rf $tmp"
	echo "(FLYTEC_DEMO_STAY=0 make demo stops it at the end instead.)"
	pid=""
	trap - EXIT
	exit 0
fi
say "stopping the server (the web console was at $FLYTEC_ADMIN/console/)"
