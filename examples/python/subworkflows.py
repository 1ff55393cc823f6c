"""Subworkflows and launch plans as nodes (a port of flytekit's control_flow/subworkflows.py)."""

import typing

from flytec import LaunchPlan, task, workflow


@task
def t1(a: int) -> typing.NamedTuple("OutputsBC", [("t1_int_output", int), ("c", str)]):
    return a + 2, "world"


@task
def t2(a: str, b: str) -> str:
    return b + a


@workflow
def my_subwf(a: int = 42) -> typing.Tuple[str, str]:
    x, y = t1(a=a)
    u, v = t1(a=x)
    return y, v


@workflow
def parent_wf(a: int) -> typing.Tuple[int, str, str]:
    x, y = t1(a=a).with_overrides(name="first step")
    u, v = my_subwf(a=x)
    return x, u, v


sub_lp = LaunchPlan.get_or_create(my_subwf, name="subworkflows.sub_lp", default_inputs={"a": 3})


@workflow
def nested_parent(a: int = 1) -> str:
    x, y = my_subwf(a=a)
    u, v = sub_lp(a=a)
    return t2(a=x, b=v)
