"""Hello world: the smallest workflow (a port of flytekit's basics/hello_world.py)."""

from flytec import task, workflow


@task
def say_hello(name: str) -> str:
    return f"Hello, {name}!"


@workflow
def hello_world_wf(name: str = "world") -> str:
    """Greets someone."""
    return say_hello(name=name)
