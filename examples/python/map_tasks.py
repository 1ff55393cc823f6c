"""Map tasks: run a task once per element of a list (a port of flytekit's control_flow/map_task.py)."""

import functools
import typing

from flytec import map_task, task, workflow


@task
def square(x: int, offset: int) -> int:
    return x * x + offset


@task
def total(values: typing.List[int]) -> int:
    return sum(values)


@task
def fragile(x: int) -> int:
    if x % 3 == 0:
        raise ValueError("multiples of three are refused")
    return x


@task
def count_present(values: typing.List[typing.Optional[int]]) -> int:
    return len([v for v in values if v is not None])


@workflow
def squares(xs: typing.List[int] = [1, 2, 3, 4]) -> int:
    sq = map_task(functools.partial(square, offset=1), concurrency=2)(x=xs)
    return total(values=sq)


@workflow
def tolerant(xs: typing.List[int] = [1, 2, 3, 4, 5]) -> int:
    got = map_task(fragile, min_success_ratio=0.5)(x=xs)
    return count_present(values=got)
