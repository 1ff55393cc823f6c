#!/usr/bin/env bash
# The DST policies of `flytec schedule next` (core/cron.c's fc_cron_next_dst) checked against an implementation
# nobody here wrote: Python's zoneinfo (Debian's python3) over the same system tzdata. For each zone, wall time and
# policy, Python lists the instants the policy says a daily schedule at that wall time fires:
#   - a wall time that occurs once: that instant;
#   - one that occurs twice (fold 0 and fold 1 differ and both round-trip): first = fold 0, last = fold 1,
#     both = the two; auto = first (the hour field does not cover every hour);
#   - one that does not occur (fold 0 does not round-trip): shift = the transition instant (found by bisecting
#     utcoffset), skip = nothing.
# and the first five distinct instants after --from must equal what flytec prints, to the second (a schedule fires
# once per instant: Apia's skipped 2011-12-30 00:00 shifts onto the instant of 2011-12-31 00:00).
set -u
cd "$(dirname "$0")/../.." || exit 2
FLYTEC=${FLYTEC:-$PWD/bin/flytec}
PY=/usr/bin/python3
if ! "$PY" -c 'import zoneinfo; zoneinfo.ZoneInfo("Europe/Berlin")' 2>/dev/null; then
  echo "$(basename "$0"): python3 zoneinfo with tzdata is required"; echo "$(basename "$0"): 0 passed, 1 failed"; exit 1
fi
out=$(timeout 300 "$PY" - "$FLYTEC" <<'PY'
import subprocess, sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

flytec = sys.argv[1]
UTC = timezone.utc

def off(z, t):
    return datetime.fromtimestamp(t, z).utcoffset()

def transition(z, a, b):
    # smallest t in (a, b] whose offset differs from a's
    o = off(z, a)
    while b - a > 1:
        m = (a + b) // 2
        if off(z, m) == o:
            a = m
        else:
            b = m
    return b

def fires(zone, h, m, day, repeat, skip):
    z = ZoneInfo(zone)
    naive = datetime(day.year, day.month, day.day, h, m)
    u0 = int(naive.replace(tzinfo=z, fold=0).timestamp())
    u1 = int(naive.replace(tzinfo=z, fold=1).timestamp())
    back0 = datetime.fromtimestamp(u0, z).replace(tzinfo=None)
    if back0 != naive:                       # does not occur
        if skip == "skip":
            return [], "gap"
        return [transition(z, min(u0, u1), max(u0, u1))], "gap"
    if u0 == u1:
        return [u0], "plain"
    if repeat in ("first", "auto"):
        return [u0], "repeat"
    if repeat == "last":
        return [u1], "repeat"
    return [u0, u1], "repeat"

cases = [
    ("Europe/Berlin", 2, 30, "2024-03-31"), ("Europe/Berlin", 2, 0, "2024-03-31"),
    ("Europe/Berlin", 2, 30, "2024-10-27"), ("Europe/Berlin", 2, 0, "2024-10-27"),
    ("Europe/Berlin", 2, 59, "2024-10-27"), ("Europe/Berlin", 3, 0, "2024-10-27"),
    ("America/New_York", 2, 30, "2024-03-10"), ("America/New_York", 2, 0, "2024-03-10"),
    ("America/New_York", 1, 30, "2024-11-03"), ("America/New_York", 1, 0, "2024-11-03"),
    ("America/New_York", 1, 59, "2024-11-03"), ("America/New_York", 2, 0, "2024-11-03"),
    ("Australia/Lord_Howe", 2, 15, "2024-10-06"), ("Australia/Lord_Howe", 2, 0, "2024-10-06"),
    ("Australia/Lord_Howe", 1, 45, "2024-04-07"), ("Australia/Lord_Howe", 1, 30, "2024-04-07"),
    ("Pacific/Apia", 9, 0, "2011-12-30"), ("Pacific/Apia", 0, 0, "2011-12-30"), ("Pacific/Apia", 23, 59, "2011-12-30"),
    ("Pacific/Chatham", 3, 0, "2024-09-29"), ("Pacific/Chatham", 2, 45, "2024-04-07"),
    ("Europe/London", 1, 30, "2024-03-31"), ("Europe/London", 1, 30, "2024-10-27"),
]
policies = [(r, "shift") for r in ("auto", "first", "last", "both")] + [(r, "skip") for r in ("first", "last", "both")]
ok = bad = 0
kinds = set()
for zone, h, m, date in cases:
    day0 = datetime.strptime(date, "%Y-%m-%d")
    start = int((day0 - timedelta(days=2)).replace(tzinfo=UTC).timestamp())
    for repeat, skip in policies:
        want = []
        for k in range(-3, 8):
            got, kind = fires(zone, h, m, day0 + timedelta(days=k), repeat, skip)
            if k == 0:
                kinds.add(kind)
            want += got
        want = sorted(set(t for t in want if t > start))[:5]  # one fire per instant (Apia's shifted 00:00 is the 31st's)
        want = [datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for t in want]
        frm = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        cmd = [flytec, "schedule", "next", f"{m} {h} * * *", "--tz", zone, "--from", frm, "-n", "5",
               "--dst-repeat", repeat, "--dst-skip", skip]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        got = [line.split()[1] for line in p.stdout.splitlines() if line.strip()]
        label = f"{zone} {h:02d}:{m:02d} around {date} dst_repeat={repeat} dst_skip={skip}"
        if p.returncode == 0 and got == want:
            ok += 1
            print(f"ok   {label}")
        else:
            bad += 1
            print(f"FAIL {label}: flytec {got} (rc {p.returncode}, {p.stderr.strip()}), zoneinfo {want}")
# the cases must exercise every kind of wall time, or the oracle proves little
for kind in ("plain", "gap", "repeat"):
    if kind in kinds:
        ok += 1
        print(f"ok   the cases include a {kind} wall time")
    else:
        bad += 1
        print(f"FAIL no case has a {kind} wall time")
print(f"COUNTS {ok} {bad}")
PY
)
rc=$?
echo "$out" | grep -v '^COUNTS'
counts=$(echo "$out" | sed -n 's/^COUNTS //p')
pass=${counts% *} fail=${counts#* }
if [ "$rc" -ne 0 ] || [ -z "$counts" ]; then pass=${pass:-0}; fail=$(( ${fail:-0} + 1 )); echo "FAIL the oracle script exited $rc"; fi
echo "$(basename "$0"): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
