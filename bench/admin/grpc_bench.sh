#!/usr/bin/env bash
# gRPC GetTask rate beside the REST GET rate, same server, same run, same client (Python: grpcio for gRPC,
# http.client with keep-alive for REST; 4 client threads each). BENCH_SECONDS (default 5) per door.
set -eu
cd "$(dirname "$0")/../.."
FLYTEC=${FLYTEC:-$PWD/bin/flytec}
T=$(mktemp -d "${TMPDIR:-/tmp}/flytec-grpc-bench.XXXXXX")
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/stubs" "$T/repo"
protoc -Ischemas -I/usr/include --python_out="$T/stubs" --grpc_python_out="$T/stubs" \
	--plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" $(find schemas -name '*.proto' | sort)
cat > "$T/repo/b.yaml" <<'YAML'
project: grpcp
tasks:
  - {name: num, type: echo, inputs: {x: integer}, outputs: {x: integer}}
YAML
"$FLYTEC" compile -q -o "$T/compiled" "$T/repo/b.yaml"
mkdir -p "$T/compiled/workflows" "$T/compiled/launch_plans"
"$FLYTEC" serve --data-dir "$T/data" --repo "$T/repo" --no-executor --no-scheduler --listen 127.0.0.1:0 \
	--port-file "$T/port" --grpc-listen 127.0.0.1:0 --grpc-port-file "$T/gport" 2>"$T/log" &
PID=$!
for _ in $(seq 1 200); do [ -s "$T/gport" ] && break; sleep 0.05; done
sleep 1
/usr/bin/python3 tests/integration/grpc_client.py "$T/stubs" bench "127.0.0.1:$(cat "$T/gport")" \
	"http://127.0.0.1:$(cat "$T/port")" "${BENCH_SECONDS:-5}" "$T/compiled"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
