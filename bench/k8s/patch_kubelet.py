#!/usr/bin/env python3
"""patch_kubelet.py: plays the kubelet for the cluster bench by patching pod status, running nothing.

Watches the pods labelled app.kubernetes.io/managed-by=flytec in one namespace; each pod without a phase is patched
through the status subresource to Succeeded (container terminated, exit code 0), as a kubelet whose containers end
at once would report it. Writes "<unix time> <pods seen>" to LOGFILE every time the count grows, so the bench can
tell when the last pod was created. Usage: patch_kubelet.py NAMESPACE LOGFILE (KUBE_API_URL, KUBE_TOKEN,
KUBE_CA_FILE from the env file).
"""
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request

API = os.environ["KUBE_API_URL"]
TOKEN = os.environ["KUBE_TOKEN"]
CTX = ssl.create_default_context(cafile=os.environ["KUBE_CA_FILE"])
SELECTOR = "app.kubernetes.io%2Fmanaged-by%3Dflytec"


def request(method, path, body=None, ctype="application/json", timeout=30):
    req = urllib.request.Request(API + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Authorization", "Bearer " + TOKEN)
    if body is not None:
        req.add_header("Content-Type", ctype)
    return urllib.request.urlopen(req, context=CTX, timeout=timeout)


def succeed(ns, name):
    t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cs = {"name": "task", "image": "busybox", "imageID": "", "ready": False, "restartCount": 0,
          "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": t, "finishedAt": t}}}
    body = {"status": {"phase": "Succeeded", "startTime": t, "containerStatuses": [cs],
                       "conditions": [{"type": "PodScheduled", "status": "True"}]}}
    for _ in range(5):
        try:
            request("PATCH", "/api/v1/namespaces/%s/pods/%s/status" % (ns, name), body,
                    "application/merge-patch+json").read()
            return
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return
        except OSError:
            pass
        time.sleep(0.2)


def main():
    ns, log = sys.argv[1], sys.argv[2]
    seen = set()
    rv = ""
    with open(log, "a") as out:
        while True:
            try:
                if not rv:
                    lst = json.loads(request("GET", "/api/v1/namespaces/%s/pods?labelSelector=%s" % (ns, SELECTOR))
                                     .read())
                    rv = lst["metadata"]["resourceVersion"]
                    events = [{"type": "ADDED", "object": p} for p in lst["items"]]
                else:
                    events = request("GET", "/api/v1/namespaces/%s/pods?watch=1&labelSelector=%s&resourceVersion=%s"
                                     "&timeoutSeconds=60" % (ns, SELECTOR, rv), timeout=90)
                for line in events:
                    ev = json.loads(line) if isinstance(line, bytes) else line
                    obj = ev.get("object", {})
                    if ev.get("type") == "ERROR":
                        rv = ""
                        break
                    rv = obj.get("metadata", {}).get("resourceVersion", rv)
                    name = obj.get("metadata", {}).get("name")
                    if ev.get("type") != "ADDED" or not name or name in seen:
                        continue
                    seen.add(name)
                    out.write("%.3f %d\n" % (time.time(), len(seen)))
                    out.flush()
                    if not obj.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                        succeed(ns, name)
            except (OSError, ValueError):
                rv = ""
                time.sleep(0.2)


if __name__ == "__main__":
    main()
