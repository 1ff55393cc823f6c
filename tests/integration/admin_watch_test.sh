#!/usr/bin/env bash
# admin_watch_test.sh: `flytec serve --repo DIR` follows the file system: create, edit in place, atomic rename,
# broken files (the last good version stays), delete, new subdirectories, a 2,000-file checkout, and catching up
# after a restart.
. "$(dirname "$0")/admin_lib.sh"

R=$T/repo
PD=demo/development
mkdir -p "$R/sub"
task_spec() { # name echo-text
	cat <<EOF
project: demo
tasks:
  - name: $1
    inputs: {url: string}
    outputs: {rows: integer}
    container: {image: alpine, command: [sh, -c, 'echo $2']}
EOF
}
wf_spec() { # launch-plan-active
	cat <<EOF
project: demo
workflows:
  - name: etl
    inputs: {url: {type: string, default: "http://x"}}
    outputs: {total: !ref ex.rows}
    nodes:
      - id: ex
        task: extract
        inputs: {url: !ref inputs.url}
launch_plans:
  - name: nightly
    workflow: etl
    schedule: {cron: "0 3 * * *"}
    active: $1
EOF
}
task_spec extract one >"$R/tasks.yaml"
wf_spec true >"$R/sub/wf.yaml"
echo "not a spec" >"$R/README.md"

adm_start --repo "$R" --debounce-ms 20

get /api/v1/task_ids/$PD;                      check scan-task eq "$(jget '[e["name"] for e in d["entities"]]')" '["extract"]'
get /api/v1/active_launch_plans/$PD/nightly;   check scan-lp-active eq "$CODE" 200
LP1=$(jget 'd["id"]["version"]')
get /api/v1/repository/status;                 check scan-status eq "$(jget '[(f["path"], f["ok"]) for f in d["files"]]')" '[["sub/wf.yaml", true], ["tasks.yaml", true]]'

# edit in place: a new task version, and the workflow and launch plan that use it are recompiled
task_spec extract two >"$R/tasks.yaml"
check edit-new-version wait_for /api/v1/tasks/$PD/extract 'len(d["tasks"])' 2
check edit-dependants wait_for /api/v1/workflows/$PD/etl 'len(d["workflows"])' 2
get /api/v1/active_launch_plans/$PD/nightly
LP2=$(jget 'd["id"]["version"]')
check edit-lp-reactivated test "$LP1" != "$LP2"
get /api/v1/launch_plans/$PD/nightly/$LP1;     check edit-old-lp-inactive eq "$(jget 'd["closure"].get("state", "INACTIVE")')" INACTIVE

# an editor's atomic save: write a temp file, rename over the spec
task_spec extract three >"$R/.tasks.yaml.swp"
mv "$R/.tasks.yaml.swp" "$R/tasks.yaml"
check rename-new-version wait_for /api/v1/tasks/$PD/extract 'len(d["tasks"])' 3

# a broken file: errors with file:line:col, the last good version stays registered and active
printf 'project: demo\nworkflows:\n  - name: etl\n    nodes: [ {id: ex, task: nosuchtask} ]\n' >"$R/sub/wf.yaml"
check broken-status wait_for "/api/v1/repository/status?errors_only=true" 'len(d["files"])' 1
check broken-diag contains "$(jget 'd["files"][0]["diagnostics"]')" "sub/wf.yaml:"
get /api/v1/active_launch_plans/$PD/nightly;   check broken-last-good-active eq "$(jget 'd["id"]["version"]')" "$(
	get /api/v1/launch_plans/$PD/nightly; jget 'd["launchPlans"][0]["id"]["version"]')"
get /api/v1/active_launch_plans/$PD/nightly;   check broken-lp-still-active eq "$CODE" 200
wf_spec true >"$R/sub/wf.yaml"
check fixed-status wait_for "/api/v1/repository/status?errors_only=true" 'len(d["files"])' 0

# delete: its launch plans are deactivated, history stays
rm "$R/sub/wf.yaml"
check delete-deactivates wait_for /api/v1/active_launch_plans/$PD/nightly 'd.get("code")' not_found
get /api/v1/launch_plans/$PD/nightly;          check delete-history-kept test "$(jget 'len(d["launchPlans"])')" -ge 2
get /api/v1/repository/status;                 check delete-status eq "$(jget '[f["deleted"] for f in d["files"] if f["path"] == "sub/wf.yaml"]')" '[true]'

# a new subdirectory with files written right away
mkdir -p "$R/new/deeper"
task_spec fresh a >"$R/new/deeper/fresh.yaml"
check new-subdir wait_for /api/v1/tasks/$PD/fresh 'len(d["tasks"])' 1
task_spec fresh b >"$R/new/deeper/fresh.yaml"
check new-subdir-watched wait_for /api/v1/tasks/$PD/fresh 'len(d["tasks"])' 2

# a directory renamed inside the repository: its files move, nothing is lost
mv "$R/new" "$R/renamed"
check dir-rename-new-path wait_for /api/v1/repository/status '[f["deleted"] for f in d["files"] if f["path"] == "renamed/deeper/fresh.yaml"]' '[false]'
get /api/v1/repository/status;                 check dir-rename-old-path eq "$(jget '[f["deleted"] for f in d["files"] if f["path"] == "new/deeper/fresh.yaml"]')" '[true]'
task_spec fresh c >"$R/renamed/deeper/fresh.yaml"
check dir-rename-still-watched wait_for /api/v1/tasks/$PD/fresh 'len(d["tasks"])' 3
mv "$R/renamed" "$R/new"

# a 2,000-file checkout at once
mkdir -p "$T/checkout"
python3 - "$T/checkout" <<'EOF'
import sys
for i in range(1, 2001):
    with open("%s/bulk%d.yaml" % (sys.argv[1], i), "w") as f:
        f.write("project: demo\ntasks:\n  - name: bulk%d\n    inputs: {url: string}\n"
                "    outputs: {rows: integer}\n    container: {image: alpine, command: [sh, -c, 'echo %d']}\n" % (i, i))
EOF
cp -r "$T/checkout" "$R/bulk"
for _ in $(seq 1 200); do
	get "/api/v1/task_ids/$PD?limit=5000"
	[ "$(jget 'len(d["entities"])')" = 2002 ] && break
	sleep 0.1
done
check checkout-2000 eq "$(jget 'len(d["entities"])')" 2002

# restart: changes made while nobody watched are caught up
adm_stop
task_spec extract four >"$R/tasks.yaml"
task_spec offline x >"$R/offline.yaml"
rm "$R/new/deeper/fresh.yaml"
wf_spec true >"$R/sub/wf.yaml"
adm_start
get /api/v1/tasks/$PD/extract;                 check restart-edit eq "$(jget 'len(d["tasks"])')" 4
get /api/v1/tasks/$PD/offline;                 check restart-new eq "$(jget 'len(d["tasks"])')" 1
get /api/v1/repository/status;                 check restart-delete eq "$(jget '[f["deleted"] for f in d["files"] if f["path"] == "new/deeper/fresh.yaml"]')" '[true]'
get /api/v1/active_launch_plans/$PD/nightly;   check restart-lp-active eq "$CODE" 200
get /api/v1/tasks/$PD/fresh;                   check restart-history-kept eq "$(jget 'len(d["tasks"])')" 3
get /api/v1/task_ids/$PD?limit=5000;           check restart-nothing-lost eq "$(jget 'len(d["entities"])')" 2003

# crash safety: kill -9 while a large batch is being compiled and registered; a restart ends in the right state
mkdir -p "$T/checkout2"
python3 - "$T/checkout2" <<'PY'
import sys
for i in range(1, 1001):
    with open("%s/crash%d.yaml" % (sys.argv[1], i), "w") as f:
        f.write("project: demo\ntasks:\n  - name: crash%d\n    inputs: {url: string}\n"
                "    outputs: {rows: integer}\n    container: {image: alpine}\n" % i)
PY
cp -r "$T/checkout2" "$R/bulk2"
sleep 0.1
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""
adm_start
get "/api/v1/task_ids/$PD?limit=5000";         check crash-restart-complete eq "$(jget 'len(d["entities"])')" 3003
get /api/v1/tasks/$PD/extract;                 check crash-restart-history eq "$(jget 'len(d["tasks"])')" 4
get /healthz;                                  check crash-restart-healthy eq "$CODE" 200

adm_done
