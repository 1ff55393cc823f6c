#!/usr/bin/env bash
# kill -9 during bursts of fires: 1,000 launch plans fire together every 2 s (each fire of a plain `allow` plan runs
# in its batch without a savepoint of its own, docs/schedules.md "Limits"); the server is killed with SIGKILL four
# times, a few to a few tens of milliseconds after a slot's time (while its burst is being written), and started
# again. Afterwards, read from the database file: no slot has two executions, no plan skipped a slot between its
# first and its last run (catch_up: all fires what the downtime missed), and each plan's recorded last slot is its
# newest execution's slot. How many of the kills found a burst half-written is printed (it depends on timing).
source "$(dirname "$0")/admin_lib.sh"
source "$(dirname "$0")/schedule_lib.sh"

PLANS=1000
mkdir -p "$T/repo"
sch_tick_spec burst > "$T/repo/burst.yaml"
python3 - "$T/repo/burst.yaml" "$PLANS" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "a") as f:
    for i in range(n):
        f.write(f"  - {{name: p{i:03d}, workflow: tick, active: true, "
                f"schedule: {{cron: \"@every 2s\", kickoff_input: at, catch_up: all}}}}\n")
PY
adm_start --repo "$T/repo" --no-executor

count() {
	python3 - "$T/admin.db" <<'PY' 2>/dev/null || echo 0
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=10)
print(db.execute("SELECT count(*) FROM executions WHERE mode = 1").fetchone()[0])
PY
}
# at least two bursts before the first kill (the wait is for the condition: a loaded machine is slow)
deadline=$((SECONDS + 120))
while [ "$(count)" -lt $((2 * PLANS)) ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
check "two bursts of $PLANS fired before the first kill" [ "$(count)" -ge $((2 * PLANS)) ]

# sleep until `ms` milliseconds after the next slot (the newest slot fired + 2 s), then print that slot (ns)
until_after_next_slot() {
	python3 - "$T/admin.db" "$1" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=10)
last = db.execute("SELECT max(scheduled_at) FROM executions WHERE mode = 1").fetchone()[0]
db.close()
nxt = last + 2 * 10**9
while nxt / 1e9 < time.time():
    nxt += 2 * 10**9
time.sleep(max(0.0, nxt / 1e9 + int(sys.argv[2]) / 1e3 - time.time()))
print(nxt)
PY
}
at_slot() {
	python3 - "$T/admin.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=10)
print(db.execute("SELECT count(*) FROM executions WHERE mode = 1 AND scheduled_at = ?", (int(sys.argv[2]),)).fetchone()[0])
PY
}
partial=0
for ms in 20 60 90 120; do
	slot=$(until_after_next_slot "$ms")
	kill -9 "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=""
	n=$(at_slot "$slot")
	echo "  kill -9 ${ms} ms after a slot: $n of $PLANS of its executions were committed"
	[ "$n" -gt 0 ] && [ "$n" -lt "$PLANS" ] && partial=$((partial + 1))
	adm_start
done
echo "  $partial of 4 kills found a burst half-written"
before=$(count)
deadline=$((SECONDS + 120))
while [ "$(count)" -lt $((before + 2 * PLANS)) ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
check "fires go on after the last restart" [ "$(count)" -ge $((before + 2 * PLANS)) ]
adm_stop

python3 - "$T/admin.db" "$PLANS" > "$T/verdict" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
plans = int(sys.argv[2])
rows = db.execute("SELECT lp_name, scheduled_at FROM executions WHERE mode = 1").fetchall()
by = {}
for lp, at in rows:
    by.setdefault(lp, []).append(at)
doubled = sum(len(v) - len(set(v)) for v in by.values())
gaps = 0
for v in by.values():
    s = sorted(set(v))
    gaps += sum(1 for a, b in zip(s, s[1:]) if b - a != 2 * 10**9)
last = dict(db.execute("SELECT name, last_slot FROM schedule_state WHERE project = 'burst'").fetchall())
wrong_last = sum(1 for lp, v in by.items() if last.get(lp) != max(v))
print(len(by), doubled, gaps, wrong_last, min(len(v) for v in by.values()) if by else 0)
PY
read -r nplans doubled gaps wrong_last fewest < "$T/verdict"
check "every plan fired" eq "$nplans" "$PLANS"
check "no slot has two executions across four kill -9" eq "$doubled" 0
check "no slot was lost between a plan's first and last run" eq "$gaps" 0
check "each plan's last slot is its newest execution's" eq "$wrong_last" 0
check "each plan ran at least four slots" [ "$fewest" -ge 4 ]
adm_done
