# bg_server_lib.sh: one background `flytec serve` for a test script (sourced, not run).
#
# bg_server_start PORTFILE LOG CMD...  runs CMD (a serve command that writes its port to PORTFILE) in the background
#                                      and waits up to 10 s for the port; returns 1 when it is not listening.
# bg_server_stop                       SIGTERM, then SIGKILL after 5 s: a hung server cannot hang the test.
# bg_server_sanitizer_report LOG       true when LOG holds an AddressSanitizer/UBSan report (printed).
# The caller's EXIT trap should call bg_server_stop.
server_pid=""

bg_server_start() {
  local port_file=$1 log=$2
  shift 2
  rm -f "$port_file"
  "$@" > "$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    [ -s "$port_file" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

bg_server_stop() {
  [ -n "$server_pid" ] || return 0
  kill "$server_pid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""
}

bg_server_sanitizer_report() {
  grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$1" || return 1
  grep -m 5 -E "Sanitizer|runtime error" "$1"
  return 0
}
