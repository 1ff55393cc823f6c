#!/usr/bin/env bash
# flytec lsp with Debian's Neovim as the client (headless, tests/lsp/nvim_client.lua): diagnostics with ranges on
# a broken spec, completion, definition, an edit that clears the diagnostics, hover on a task and on a cron line,
# document symbols.
set -u
cd "$(dirname "$0")/../.." || exit 2
flytec=$(realpath "${FLYTEC:-bin/flytec}")
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0
if ! command -v nvim > /dev/null; then
  echo "FAIL nvim is not installed (tools/deps.sh installs Debian's neovim)"
  echo "lsp_nvim: 0 passed, 1 failed"
  exit 1
fi
mkdir -p "$tmp/ws"
cat > "$tmp/ws/pipe.yaml" <<'YAML'
tasks:
  - name: inc
    type: echo
    inputs: {x: integer}
    outputs: {x: integer}
    retires: 3
workflows:
  - name: main
    inputs: {x: integer}
    nodes:
      - {id: a, task: inc, inputs: {x: !ref inputs.x}}
      - {id: b, task: inc, inputs: {x: !ref a.x}}
    outputs: {x: !ref b.x}
launch_plans:
  - name: nightly
    workflow: main
    schedule: {cron: '0 3 * * *'}
    fixed_inputs: {x: 1}
YAML
HOME="$tmp" XDG_CONFIG_HOME="$tmp/cfg" XDG_DATA_HOME="$tmp/data" XDG_STATE_HOME="$tmp/state" \
  WS="$tmp/ws" FLYTEC="$flytec" RESULT="$tmp/result" \
  timeout 120 nvim --headless --clean -n -c "luafile $root/tests/lsp/nvim_client.lua" > "$tmp/nvim.log" 2>&1
echo "neovim exited with $?"
expect() { # expect LINE: the client saw it
  checks=$((checks + 1))
  if grep -qxF "$1" "$tmp/result" 2>/dev/null; then echo "ok   $1"; else
    echo "FAIL $1"; sed 's/^/     /' "$tmp/result" 2>/dev/null | head -n 20; tail -n 5 "$tmp/nvim.log"; fails=$((fails + 1)); fi
}
expect "diagnostics_arrived true"
expect "diag UnknownKey 5:4-5:11"
expect "completion_inc true"
expect "completion_node true"
expect "completion_key true"
expect "definition pipe.yaml 1:10"
expect "cleared true"
expect "hover_task true"
expect "hover_interface true"
expect "hover_cron true"
expect "symbols inc,main,a,b,nightly"
expect "done"
echo "lsp_nvim: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
