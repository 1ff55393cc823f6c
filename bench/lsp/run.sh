#!/usr/bin/env bash
# bench/lsp/run.sh: (1) flytec lsp: time from one didChange to its publishDiagnostics in a workspace of N specs
# (each a task and a three-node workflow whose last node runs the one task of common.yaml, which every workflow
# uses), for an edit in a leaf file and an edit in common.yaml; (2) flytec golden check of the same tree beside a
# plain flytec compile.
# Usage: bash bench/lsp/run.sh [N] (default 1000). Prints the figures for bench/RESULTS.md.
set -u
cd "$(dirname "$0")/../.." || exit 2
n=${1:-1000}
flytec=$(realpath "${FLYTEC:-bin/flytec}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ws"
for i in $(seq 1 "$n"); do
  cat > "$tmp/ws/s$i.yaml" <<YAML
tasks:
  - {name: t$i, type: echo, inputs: {x: integer}, outputs: {x: integer}}
workflows:
  - name: w$i
    inputs: {x: integer}
    nodes:
      - {id: a, task: t$i, inputs: {x: !ref inputs.x}}
      - {id: b, task: t$i, inputs: {x: !ref a.x}}
      - {id: c, task: shared, inputs: {x: !ref b.x}}
    outputs: {x: !ref c.x}
YAML
done
cat > "$tmp/ws/common.yaml" <<YAML
tasks:
  - {name: shared, type: echo, inputs: {x: integer}, outputs: {x: integer}}
YAML
python3 - "$flytec" "$tmp/ws" <<'PY'
import json, subprocess, sys, time
flytec, root = sys.argv[1], sys.argv[2]
p = subprocess.Popen([flytec, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def send(o):
    b = json.dumps(o).encode(); p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(b) + b); p.stdin.flush()
def recv():
    h = b""
    while not h.endswith(b"\r\n\r\n"):
        h += p.stdout.read(1)
    return json.loads(p.stdout.read(int(h.split(b":")[1])))
send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"rootUri": "file://" + root}})
recv()
t = time.monotonic(); send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown_probe"}); 
while "id" not in recv(): pass
first = time.monotonic() - t
probe = [100]
def edits(name, mangle):
    """median and max ms from a didChange to the answer of a request sent right after it (the server handles
    messages in order, so the answer comes once the re-check was published)"""
    uri = "file://" + root + "/" + name
    good = open(root + "/" + name).read()
    bad = mangle(good)
    assert bad != good
    times = []
    for k in range(10):
        text = bad if k % 2 == 0 else good
        probe[0] += 1
        t = time.monotonic()
        send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": probe[0]}, "contentChanges": [{"text": text}]}})
        send({"jsonrpc": "2.0", "id": probe[0], "method": "flytec/probe"})
        while recv().get("id") != probe[0]:
            pass
        times.append((time.monotonic() - t) * 1000)
    times.sort()
    return "median %.1f ms, max %.1f ms" % (times[len(times) // 2], times[-1])
print("lsp: %d spec files: first check %.0f ms" % (len(__import__("os").listdir(root)), first * 1000))
print("lsp: re-check after one edit (10 edits each):")
print("  leaf file (an error comes and goes):                  " + edits("s1.yaml", lambda t: t.replace("type: echo", "type: echo, retires: 1")))
print("  the task every workflow uses, interface kept:         " + edits("common.yaml", lambda t: t.replace("type: echo", "type: echo, retries: 3")))
print("  the task every workflow uses, input type changed:     " + edits("common.yaml", lambda t: t.replace("inputs: {x: integer}", "inputs: {x: string}")))
send({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}); recv(); send({"jsonrpc": "2.0", "method": "exit"}); p.wait()
PY
cd "$tmp" || exit 2
"$flytec" golden update -q ws > /dev/null 2>&1 || "$flytec" golden update ws > /dev/null 2>&1
cpu() { # median CPU time (user + system) of 5 runs, in ms: wall time on a shared machine measures the neighbours
  local t=()
  for _ in 1 2 3 4 5; do
    /usr/bin/time -o "$tmp/time" -f '%U %S' "$@" > /dev/null 2>&1
    t+=("$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$tmp/time")")
  done
  printf '%s\n' "${t[@]}" | sort -n | sed -n 3p
}
g=$(cpu "$flytec" golden check ws); c=$(cpu "$flytec" compile -q ws)
echo "golden check of $n specs ($(find tests/dags -name '*.dag' | wc -l) snapshots): $g ms CPU; plain flytec compile -q: $c ms CPU (median of 5); ratio $(echo "scale=2; $g / $c" | bc)"
