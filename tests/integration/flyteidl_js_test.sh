#!/usr/bin/env bash
# flyteidl_js_test.sh: Flyte's JavaScript IDL package (@flyteorg/flyteidl 1.16.5 with protobufjs, from the npm
# registry, pinned by tests/js/package-lock.json) against `flytec serve` in the protobuf encoding: projects, task
# and launch plan ids, named entities (archive included), a workflow compared with its JSON answer, an execution
# created with a protobuf body and followed to SUCCEEDED, a relaunch, google.rpc.Status errors (malformed body,
# not found), and a server with --token-file. The packages are installed with `npm ci` into build/js; when npm or
# the registry is unavailable the test says so and skips (it vendors nothing).
. "$(dirname "$0")/admin_lib.sh"

JS=$PWD/build/js
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "SKIP: node and npm are needed (apt-get install nodejs npm)"
	echo "$(basename "$0"): 0 passed, 0 failed (skipped)"
	exit 0
fi
mkdir -p "$JS"
if ! cmp -s tests/js/package-lock.json "$JS/package-lock.json" || [ ! -d "$JS/node_modules/@flyteorg/flyteidl" ]; then
	cp tests/js/package.json tests/js/package-lock.json "$JS/"
	if ! (cd "$JS" && timeout 300 npm ci --no-audit --no-fund --ignore-scripts >"$T/npm.log" 2>&1); then
		echo "SKIP: npm ci of tests/js/package-lock.json failed (registry unreachable?):"
		tail -5 "$T/npm.log"
		rm -f "$JS/package-lock.json"
		echo "$(basename "$0"): 0 passed, 0 failed (skipped)"
		exit 0
	fi
fi

R=$T/repo
mkdir -p "$R"
cat >"$R/flow.yaml" <<'YAML'
project: jsdemo
tasks:
  - name: greet
    type: raw-container
    inputs: {name: string}
    outputs: {greeting: string}
    container:
      image: debian:12-slim
      command: [sh, -c, 'printf "Hello, %s!" "$1" > "$FLYTE_OUTPUT_DIR/greeting"', greet, "{{.inputs.name}}"]
  - name: fail
    type: raw-container
    container: {image: debian:12-slim, command: [sh, -c, 'exit 3']}
workflows:
  - name: hello
    inputs: {name: {type: string, default: world}}
    outputs: {greeting: !ref g.greeting}
    nodes:
      - {id: g, task: greet, inputs: {name: !ref inputs.name}}
  - name: broken
    nodes:
      - {id: f, task: fail}
YAML

run_js() { # mode [token]
	FLYTEC_NODE_MODULES=$JS/node_modules FLYTEC_URL=$URL FLYTEC_PROJECT=jsdemo FLYTEC_DOMAIN=development \
		FLYTEC_MODE=$1 FLYTEC_TOKEN=${2:-} timeout 120 node tests/js/flyteidl_check.js >"$T/js.out" 2>&1
	while IFS= read -r line; do
		case "$line" in
		"PASS "*) PASS=$((PASS + 1)) ;;
		"FAIL "*) FAIL=$((FAIL + 1)); echo "  $line" ;;
		*) echo "  | $line" ;;
		esac
	done <"$T/js.out"
	grep -q '^PASS \|^FAIL ' "$T/js.out" || { FAIL=$((FAIL + 1)); echo "  FAIL: the node script printed no check"; }
}

adm_start --repo "$R"
for _ in $(seq 1 100); do get /api/v1/task_ids/jsdemo/development; [ "$CODE" = 200 ] && contains "$(cat "$T/out")" greet >/dev/null && break; sleep 0.05; done
run_js main
adm_stop

echo "s3cret-token" >"$T/token"
SERVER_PID=""
adm_start --repo "$R" --token-file "$T/token"
for _ in $(seq 1 100); do get /api/v1/task_ids/jsdemo/development -H "Authorization: Bearer s3cret-token"; contains "$(cat "$T/out")" greet >/dev/null && break; sleep 0.05; done
run_js token s3cret-token

adm_done
