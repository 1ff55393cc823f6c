#!/usr/bin/env python3
"""fake_kubelet.py: plays the kubelet for flytec's task pods where no real node runs them.

Every 0.2 s it lists the pods labelled app.kubernetes.io/managed-by=flytec in one namespace; each pod it has not
seen yet and that has no final phase is run here: its container's command + args as a local process with the
pod's env (busybox-style shell scripts work), then its status is written through the status subresource:
Running first, then Succeeded or Failed with the container's exit code (terminated state), as a kubelet would.
A pod whose env has FAKE_KUBELET_HOLD=1 stays Running until it is deleted (for abort tests).

Counts every pod name it ran into --log (one line per pod: so a test can check that no attempt ran twice).
Usage: fake_kubelet.py NAMESPACE LOGFILE   (KUBE_API_URL, KUBE_TOKEN, KUBE_CA_FILE from the env file)
"""
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

API = os.environ["KUBE_API_URL"]
TOKEN = os.environ["KUBE_TOKEN"]
CTX = ssl.create_default_context(cafile=os.environ["KUBE_CA_FILE"])


def call(method, path, body=None, ctype="application/json"):
    req = urllib.request.Request(API + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Authorization", "Bearer " + TOKEN)
    if body is not None:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, context=CTX, timeout=10) as r:
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return {"code": e.code}
    except OSError:
        return {"code": 0}


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def set_status(ns, name, phase, exit_code=None):
    cs = {"name": "task", "image": "busybox", "imageID": "", "ready": phase == "Running", "restartCount": 0}
    if exit_code is None:
        cs["state"] = {"running": {"startedAt": now()}}
    else:
        cs["state"] = {"terminated": {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                                      "startedAt": now(), "finishedAt": now()}}
    status = {"status": {"phase": phase, "startTime": now(), "containerStatuses": [cs],
                         "conditions": [{"type": "PodScheduled", "status": "True"}]}}
    return call("PATCH", "/api/v1/namespaces/%s/pods/%s/status" % (ns, name), status,
                "application/merge-patch+json")


def main():
    ns, log = sys.argv[1], sys.argv[2]
    seen = {}
    held = set()
    while True:
        pods = call("GET", "/api/v1/namespaces/%s/pods?labelSelector=app.kubernetes.io%%2Fmanaged-by%%3Dflytec" % ns)
        for pod in pods.get("items", []):
            name = pod["metadata"]["name"]
            phase = pod.get("status", {}).get("phase")
            if name in seen or phase in ("Succeeded", "Failed") or pod["metadata"].get("deletionTimestamp"):
                continue
            seen[name] = True
            with open(log, "a") as f:
                f.write(name + "\n")
            c = pod["spec"]["containers"][0]
            env = {"PATH": "/usr/local/bin:/usr/bin:/bin"}
            for e in c.get("env", []):
                if "value" in e:
                    env[e["name"]] = e["value"]
            set_status(ns, name, "Running")
            if env.get("FAKE_KUBELET_HOLD") == "1":
                held.add(name)
                continue
            argv = c.get("command", []) + c.get("args", [])
            try:
                rc = subprocess.run(argv, env=env, timeout=60, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL).returncode
            except (OSError, subprocess.TimeoutExpired):
                rc = 127
            set_status(ns, name, "Succeeded" if rc == 0 else "Failed", rc if rc >= 0 else 137)
        time.sleep(0.2)


if __name__ == "__main__":
    main()
