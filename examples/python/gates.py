"""Gates: sleep, approve and wait_for_input (a port of flytekit's advanced_composition/waiting_for_external_inputs.py)."""

import datetime

from flytec import approve, sleep, task, wait_for_input, workflow


@task
def build(version: str) -> str:
    return "build-" + version


@task
def release(artifact: str, replicas: int) -> str:
    return "released %s x%d" % (artifact, replicas)


@workflow
def release_wf(version: str = "1.0") -> str:
    art = build(version=version)
    pause = sleep(datetime.timedelta(seconds=1))
    ok = approve(art, "release-ok", timeout=datetime.timedelta(hours=1))
    n = wait_for_input("replicas", timeout=datetime.timedelta(hours=1), expected_type=int)
    pause >> ok
    return release(artifact=ok, replicas=n)
