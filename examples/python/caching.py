"""A cached task with retries, a timeout and resources, and per-call overrides (a port of flytekit's
development_lifecycle/task_cache.py)."""

import datetime
import os

from flytec import Resources, task, workflow


@task(cache=True, cache_version="1.0", retries=2, timeout=datetime.timedelta(minutes=5),
      requests=Resources(cpu="500m", mem="256Mi"), limits=Resources(mem="1Gi"),
      environment={"GREETING": "hi"}, interruptible=True)
def expensive(n: int) -> int:
    """Counts its runs in $COUNT_FILE, so a test can see the cache at work."""
    path = os.environ.get("COUNT_FILE")
    if path:
        with open(path, "a") as f:
            f.write("run\n")
    return sum(i * i for i in range(n))


@task
def add(a: int, b: int) -> int:
    return a + b


@workflow
def cached_wf(n: int = 10) -> int:
    first = expensive(n=n)
    again = expensive(n=n).with_overrides(retries=1, timeout=datetime.timedelta(minutes=2),
                                            requests=Resources(cpu="1"))
    return add(a=first, b=again)
