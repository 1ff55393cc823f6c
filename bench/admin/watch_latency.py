#!/usr/bin/env python3
"""Watch latency: time from renaming a spec file into place to its new version being served by the API.

usage: watch_latency.py FLYTEC WORKDIR [FILES] [SAMPLES]

Builds a repository of FILES one-task spec files, starts `flytec serve --repo`, waits for the initial scan, then
SAMPLES times writes a changed copy of a random file to a temp name, renames it over the file (as editors and git
do) and polls GET /api/v1/tasks/... on one keep-alive connection until the new version is the newest. Prints
p50/p99/max in milliseconds and the initial scan time.
"""
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import time

SPEC = """project: bench
tasks:
  - name: t{i}
    inputs: {{x: integer}}
    outputs: {{y: integer}}
    container: {{image: alpine, command: [sh, -c, 'echo {rev}']}}
"""


def main():
    flytec, work = sys.argv[1], sys.argv[2]
    nfiles = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    samples = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    repo = os.path.join(work, "repo")
    for d in range(100):
        os.makedirs(os.path.join(repo, "d%02d" % d), exist_ok=True)
    for i in range(nfiles):
        with open(os.path.join(repo, "d%02d" % (i % 100), "t%d.yaml" % i), "w") as f:
            f.write(SPEC.format(i=i, rev=0))
    port_file = os.path.join(work, "port")
    log = open(os.path.join(work, "serve.log"), "w")
    t0 = time.monotonic()
    proc = subprocess.Popen([flytec, "serve", "--repo", repo, "--db", os.path.join(work, "admin.db"),
                             "--listen", "127.0.0.1:0", "--port-file", port_file, "--no-executor", "--no-scheduler"], stdout=log, stderr=log)
    try:
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if proc.poll() is not None:
                sys.exit("serve exited; see " + log.name)
            time.sleep(0.05)
        scan_s = time.monotonic() - t0  # the server listens after the initial scan
        port = int(open(port_file).read())
        conn = http.client.HTTPConnection("127.0.0.1", port)

        def newest(i):
            conn.request("GET", "/api/v1/tasks/bench/development/t%d?limit=1" % i)
            r = conn.getresponse()
            body = r.read()
            d = json.loads(body)
            return d["tasks"][0]["id"]["version"] if d.get("tasks") else None

        rng = random.Random(1)
        lat = []
        for s in range(samples):
            i = rng.randrange(nfiles)
            before = newest(i)
            path = os.path.join(repo, "d%02d" % (i % 100), "t%d.yaml" % i)
            tmp = os.path.join(os.path.dirname(path), ".t%d.yaml.tmp" % i)
            with open(tmp, "w") as f:
                f.write(SPEC.format(i=i, rev=s + 1))
            start = time.monotonic()
            os.rename(tmp, path)
            while True:
                v = newest(i)
                if v and v != before:
                    break
                if time.monotonic() - start > 10:
                    sys.exit("timed out waiting for t%d" % i)
            lat.append((time.monotonic() - start) * 1000)
            time.sleep(0.02)
        lat.sort()
        print("files=%d samples=%d initial_scan_s=%.2f" % (nfiles, samples, scan_s))
        print("watch_latency_ms_p50=%.1f" % lat[len(lat) // 2])
        print("watch_latency_ms_p99=%.1f" % lat[min(len(lat) - 1, int(len(lat) * 0.99))])
        print("watch_latency_ms_max=%.1f" % lat[-1])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
