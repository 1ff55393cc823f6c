"""Conditions: branch on promises with if_/elif_/else_ (a port of flytekit's control_flow/conditions.py)."""

from flytec import conditional, task, workflow


@task
def coin(seed: int) -> float:
    return (seed * 7919 % 100) / 100.0


@task
def double(n: float) -> float:
    return n * 2


@task
def square(n: float) -> float:
    return n * n


@task
def negate(n: float) -> float:
    return -n


@workflow
def multiplier(my_input: float) -> float:
    return (
        conditional("fractions")
        .if_((my_input >= 0.1) & (my_input <= 1.0))
        .then(double(n=my_input))
        .elif_((my_input > 1.0) | (my_input < -5.0))
        .then(square(n=my_input))
        .else_()
        .then(negate(n=my_input))
    )


@workflow
def only_positive(my_input: float) -> float:
    return (
        conditional("guard")
        .if_(my_input > 0.0)
        .then(double(n=my_input))
        .else_()
        .fail("the input must be positive")
    )


@workflow
def on_task_output(seed: int = 3) -> float:
    c = coin(seed=seed)
    return conditional("toss").if_(c < 0.5).then(double(n=c)).else_().then(square(n=c))
