#!/usr/bin/env bash
# store_full_disk_test.sh: the admin's store on a full file system (issue 19.3d). A spec saved while the disk is
# full is shown as failed with the reason (`flytec status`, GET /api/v1/repository/status) and registered once
# space returns; nothing registered before is lost. The store lives on a 2 MiB tmpfs that dd fills (needs root to
# mount; skipped with a message otherwise).
. "$(dirname "$0")/../integration/admin_lib.sh"

D=$T/disk
R=$T/repo
mkdir -p "$D" "$R"
if ! mount -t tmpfs -o size=2m tmpfs "$D" 2>/dev/null; then
	echo "  skipped: cannot mount a tmpfs here (needs root)"
	echo "$(basename "$0"): 0 passed, 0 failed"
	exit 0
fi
unmount_disk() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	umount "$D" 2>/dev/null
	rm -rf "$T"
}
trap unmount_disk EXIT

task_spec() { # name [padding bytes]
	printf 'project: demo\ntasks:\n  - name: %s\n    container: {image: alpine, command: [sh, -c, "echo %s"]}\n' \
		"$1" "$(head -c "${2:-1}" /dev/zero | tr '\0' 'x')"
}
task_spec first >"$R/first.yaml"
adm_start --db "$D/admin.db" --repo "$R" --no-executor --no-scheduler || exit 1
check "first registered" wait_for /api/v1/task_ids/demo/development "len(d.get('entities',[]))" 1

# fill the disk
dd if=/dev/zero of="$D/fill" bs=16k 2>/dev/null
check "the disk is full" test "$(df --output=avail "$D" | tail -1 | tr -d ' ')" -lt 64
# a spec large enough that its row cannot fit in what the store's files already hold
task_spec second 300000 >"$R/second.yaml"
check "second shown as failed with the reason" wait_for /api/v1/repository/status \
	"[f['ok'] for f in d['files'] if f['path']=='second.yaml']" "[false]"
get /api/v1/repository/status
check "the reason names the store" contains "$(jget "[f['diagnostics'] for f in d['files'] if f['path']=='second.yaml'][0]")" \
	"error[StoreUnavailable]"
out=$("$FLYTEC" status --admin "$URL" 2>&1)
check "flytec status shows it" contains "$out" "second.yaml"
check "flytec status gives the reason" contains "$out" "StoreUnavailable"
get /api/v1/repository/status
check "the file registered before is not shown as failed" eq \
	"$(jget "[f['ok'] for f in d['files'] if f['path']=='first.yaml']")" "[true]"
get /api/v1/task_ids/demo/development
check "not registered while full" eq "$(jget "sorted(e['name'] for e in d.get('entities',[]))")" '["first"]'
check "the server still answers" eq "$CODE" 200
sleep 2
check "the server is alive" kill -0 "$SERVER_PID"

# space returns: registered without anyone touching the file
rm -f "$D/fill"
for _ in $(seq 1 300); do
	get /api/v1/task_ids/demo/development
	[ "$(jget "len(d.get('entities',[]))")" = 2 ] && break
	sleep 0.1
done
check "second registered once space returned" eq "$(jget "sorted(e['name'] for e in d.get('entities',[]))")" \
	'["first", "second"]'
check "its status is ok" wait_for /api/v1/repository/status "[f['ok'] for f in d['files'] if f['path']=='second.yaml']" \
	"[true]"
grep -c "trying again" "$T/server.log" >"$T/retries"
check "retries backed off (few log lines)" test "$(cat "$T/retries")" -lt 40
adm_done
