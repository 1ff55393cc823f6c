#!/usr/bin/env bash
# The admin API over gRPC (issue 13), driven by a client nobody here wrote: Python's gRPC from Debian
# (python3-grpcio) with stubs generated into the temp dir from schemas/flyteidl/service/*.proto by protoc and
# grpc_python_plugin (protobuf-compiler-grpc). The scenario (tests/integration/grpc_client.py): register, get back
# byte-identical, list with filters and paging, launch and follow to SUCCEEDED, approve a gate, terminate, a spec
# that does not compile, unserved methods, 64 MB refused, 200 concurrent calls, clients that vanish or stay silent;
# then the token cases, and the same registrations and executions through REST and through gRPC into two stores
# whose state must be equal.
source "$(dirname "$0")/admin_lib.sh"
PY=/usr/bin/python3
PLUGIN=$(command -v grpc_python_plugin || true)
if [ -z "$PLUGIN" ] || ! $PY -c 'import grpc, google.protobuf' 2>/dev/null; then
	echo "FAIL: needs python3-grpcio and protobuf-compiler-grpc (tools/deps.sh)"
	exit 1
fi
mkdir -p "$T/stubs" "$T/repo"
protoc -Ischemas -I/usr/include --python_out="$T/stubs" --grpc_python_out="$T/stubs" \
	--plugin=protoc-gen-grpc_python="$PLUGIN" $(find schemas -name '*.proto' | sort) >"$T/protoc.log" 2>&1
check "python stubs generated from schemas/flyteidl/service/*.proto" test -s "$T/stubs/flyteidl/service/admin_pb2_grpc.py"

cat > "$T/repo/g.yaml" <<'YAML'
project: grpcp
tasks:
  - {name: num, type: echo, inputs: {x: integer}, outputs: {x: integer}}
workflows:
  - name: plain
    inputs: {x: integer}
    outputs: {y: !ref t.x}
    nodes:
      - {id: t, task: num, inputs: {x: !ref inputs.x}}
  - name: gated
    inputs: {x: integer}
    outputs: {approved: !ref ok.x}
    nodes:
      - {id: first, task: num, inputs: {x: !ref inputs.x}}
      - {id: ok, gate: {approve: release}, inputs: {x: !ref first.x}}
YAML
"$FLYTEC" compile -q -o "$T/compiled" "$T/repo/g.yaml"
check "the specs compile" test -s "$T/compiled/tasks/num.pb"

client() { timeout 300 $PY tests/integration/grpc_client.py "$T/stubs" "$@"; }
# Each Python check is one line "ok NAME" / "FAIL NAME: detail"; they count here.
count() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok   "*) PASS=$((PASS + 1)) ;;
		"FAIL "*) FAIL=$((FAIL + 1)); echo "  $line" ;;
		*) echo "  $line" ;;
		esac
	done
}

start_grpc() {
	rm -f "$T/gport"
	adm_start --data-dir "$T/data$1" --grpc-listen 127.0.0.1:0 --grpc-port-file "$T/gport" "${@:2}"
	for _ in $(seq 1 100); do [ -s "$T/gport" ] && break; sleep 0.05; done
	GADDR=127.0.0.1:$(cat "$T/gport")
}

# --- the scenario
start_grpc 1
client scenario "$GADDR" "$URL" "$T/compiled" > "$T/scenario.out" 2>&1
count < "$T/scenario.out"
check "the scenario ran to its end" grep -q "^grpc_client: " "$T/scenario.out"
# graceful shutdown: SIGTERM stops the gRPC door first (calls in flight finish), then the rest
pid=$SERVER_PID
adm_stop
check "the server stopped on SIGTERM" sh -c "grep -q 'flytec serve: stopping' '$T/server.log' && ! kill -0 $pid 2>/dev/null"
check "the server logged its gRPC port" grep -q "gRPC (plaintext HTTP/2) on port" "$T/server.log"

# --- the token
echo "s3cret-token" > "$T/token"
mv "$T/admin.db" "$T/admin1.db"
start_grpc 2 --token-file "$T/token"
client token "$GADDR" s3cret-token > "$T/token.out" 2>&1
count < "$T/token.out"
adm_stop
mv "$T/admin.db" "$T/admin2.db"

# --- the same scenario through REST and through gRPC: the same stored state
start_grpc 3
client drive rest "$URL" "$T/compiled" > "$T/drive-rest.out" 2>&1
check "REST drive ran" test $? -eq 0
client state "$GADDR" > "$T/state-rest" 2>&1
adm_stop
mv "$T/admin.db" "$T/admin3.db"
start_grpc 4
client drive grpc "$GADDR" "$T/compiled" > "$T/drive-grpc.out" 2>&1
check "gRPC drive ran" test $? -eq 0
client state "$GADDR" > "$T/state-grpc" 2>&1
adm_stop
check "the state has every entity, execution, node and signal" test "$(wc -l < "$T/state-grpc")" -ge 15
if ! cmp -s "$T/state-rest" "$T/state-grpc"; then
	diff "$T/state-rest" "$T/state-grpc" | head -20
	cat "$T/drive-rest.out" "$T/drive-grpc.out" | tail -20
fi
check "REST and gRPC leave the same stored state" cmp -s "$T/state-rest" "$T/state-grpc"

# --- options
"$FLYTEC" serve --db "$T/x.db" --listen 127.0.0.1:0 --grpc-listen nonsense --no-executor > "$T/bad.out" 2>&1
check "a bad --grpc-listen is refused" grep -q "grpc-listen\|gRPC cannot listen" "$T/bad.out"

adm_done
