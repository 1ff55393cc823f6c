"""Every authoring construct, as YAML; tracing errors pointing at the user's line."""

import os
import tempfile
import unittest

from tests.helpers import temp_module, needs_flytec, run, FLYTEC
from flytec import FlytecError, loader
from flytec.emit_yaml import module_yaml, Settings


def emit(mod):
    ents = loader.collect([mod])
    out = []
    for m, es in sorted(loader.group(ents).items()):
        out.append(module_yaml(m, es, Settings()))
    return "\n".join(out)


def compile_yaml(test, text):
    """Compile TEXT with bin/flytec (when built); the compiler's output."""
    if not os.access(FLYTEC, os.X_OK):
        return None
    d = tempfile.mkdtemp(prefix="flytec-pyc-")
    test.addCleanup(run, ["rm", "-rf", d])
    with open(os.path.join(d, "spec.yaml"), "w") as f:
        f.write(text)
    r = run([FLYTEC, "compile", d])
    test.assertEqual(r.returncode, 0, r.stdout + r.stderr + "\n" + text)
    return r.stdout


ALL = """\
import datetime, functools, typing
from flytec import (task, workflow, Resources, ContainerTask, kwtypes, conditional, map_task, LaunchPlan,
                    CronSchedule, FixedRate, approve, wait_for_input, sleep, WorkflowFailurePolicy)

@task(retries=3, timeout=datetime.timedelta(minutes=90), cache=True, cache_version="v2", cache_serialize=True,
      cache_ignore_input_vars=["seed"], requests=Resources(cpu="500m", mem="1Gi"),
      limits=Resources(cpu="2", mem="4Gi", gpu="1"), container_image="acme/img:1",
      environment={"B": "2", "A": "1"}, interruptible=True)
def heavy(x: int, seed: int = 7) -> typing.NamedTuple("Out", [("total", int), ("label", str)]):
    return x, "l"

@task
def inc(x: int) -> int:
    return x + 1

@task
def show(s: str, n: int) -> str:
    return s

@task
def cleanup(x: typing.Optional[int] = None) -> None:
    pass

area = ContainerTask(name="area", image="debian:12-slim", inputs=kwtypes(a=float), outputs=kwtypes(b=float),
                     command=["sh", "-c", "echo $1 > $FLYTE_OUTPUT_DIR/b", "s", "{{.inputs.a}}"])

@workflow
def sub(x: int) -> int:
    return inc(x=x)

@workflow(failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE, on_failure=cleanup)
def main(x: int, xs: typing.List[int] = [1, 2], when: datetime.datetime = datetime.datetime(2024, 1, 1)
         ) -> typing.Tuple[int, str, typing.List[int], int, float]:
    h = heavy(x=x).with_overrides(retries=5, timeout=60, requests=Resources(cpu="4"), container_image="acme/gpu:2",
                                  name="Heavy step", interruptible=False, cache=True, cache_version="v9")
    s = sub(x=h.total)
    m = map_task(functools.partial(inc), concurrency=3, min_success_ratio=0.75)(x=xs)
    b = conditional("pick").if_((s > 3) & (h.label == "l") | (s < 0)).then(inc(x=s)).elif_(s == 2).then(
        inc(x=x)).else_().fail("no way")
    z = sleep(datetime.timedelta(minutes=2))
    ok = approve(b, "go")
    v = wait_for_input("value", expected_type=float)
    z >> ok
    show(s=h.label, n=ok)
    return h.total, show(s=h.label, n=s), m, ok, area(a=v)

lp = LaunchPlan.get_or_create(main, name="main_nightly", fixed_inputs={"x": 3}, default_inputs={"xs": [5]},
                              schedule=CronSchedule(schedule="0 2 * * *", timezone="Europe/Berlin",
                                                    kickoff_time_input_arg="when"),
                              labels={"team": "data"}, annotations={"owner": "me"}, max_parallelism=2)
rate = LaunchPlan.get_or_create(sub, name="sub_rate", fixed_inputs={"x": 1},
                                schedule=FixedRate(duration=datetime.timedelta(minutes=90)))

@workflow
def uses_lp(x: int = 1) -> int:
    return sub(x=x)

@task
def opt(a: typing.Optional[int], b: typing.Optional[str] = None, c: typing.Union[int, str] = "x",
        d: typing.List[typing.Optional[float]] = [1.0, None], e: typing.Dict[str, bool] = {"k": True}
        ) -> typing.Optional[int]:
    return a

@workflow
def opt_wf(a: typing.Optional[int], b: typing.Optional[str] = None, c: typing.Union[int, str] = 3,
           e: typing.Dict[str, bool] = {"z": False}) -> typing.Optional[int]:
    first = opt(a=a, b=b, c=c, e=e)
    return opt(a=first, d=[2.0, None], e={"k": False, "j": True})

opt_lp = LaunchPlan.get_or_create(opt_wf, name="opt_lp", default_inputs={"b": None, "c": "s"},
                                  fixed_inputs={"a": None})
"""


class Constructs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mod = None

    def setUp(self):
        self.mod, _ = temp_module(self, ALL)
        self.yaml = emit(self.mod)

    def has(self, *parts):
        for p in parts:
            self.assertIn(p, self.yaml)

    def test_task_options(self):
        self.has("  - name: %s.heavy\n    type: python-task\n" % self.mod.__name__,
                 "inputs:\n      x: integer\n      seed: {type: integer, default: 7}\n",
                 "outputs: {total: integer, label: string}",
                 'image: "acme/img:1"', "env: {A: \"1\", B: \"2\"}",
                 'requests: {cpu: "500m", memory: "1Gi"}', 'limits: {cpu: "2", memory: "4Gi", gpu: "1"}',
                 "retries: 3", 'timeout: "1h30m"', "interruptible: true",
                 "cache: {version: v2, serializable: true, ignore_inputs: [seed]}",
                 'task-module, %s, task-name, heavy]' % self.mod.__name__)

    def test_container_task(self):
        self.has("  - name: area\n    type: raw-container\n", "image: \"debian:12-slim\"",
                 '"{{.inputs.a}}"')

    def test_workflow_nodes(self):
        n = self.mod.__name__
        self.has("id: n0\n        task: %s.heavy\n        inputs: {seed: 7, x: !ref inputs.x}\n" % n,
                 'name: "Heavy step"', "retries: 5", 'timeout: "1m"', "interruptible: false",
                 "cache: {version: v9}", "requests: {cpu: \"4\"}", 'image: "acme/gpu:2"',
                 "workflow: %s.sub\n        inputs: {x: !ref n0.total}" % n,
                 "map: {task: %s.inc, parallelism: 3, min_success_ratio: 0.75}" % n,
                 "failure_policy: fail-after-executable-nodes-complete",
                 "on_failure:\n      id: failure\n      task: %s.cleanup" % n)

    def test_conditional(self):
        self.has("id: pick\n        branch:\n",
                 "- if: \"(n1.o0 > 3 and n0.label == 'l') or n1.o0 < 0\"",
                 "- elif: \"n1.o0 == 2\"", "- else_fail: \"no way\"")

    def test_gates(self):
        self.has('gate: {sleep: "2m"}', "gate: {approve: go}\n        inputs: {o0: !ref pick.o0}\n        after: [n4]",
                 "gate: {signal: {id: value, type: float, output: o0}}")

    def test_outputs_and_launch_plans(self):
        self.has("outputs: {o0: !ref n0.total, o1: !ref n8.o0, o2: !ref n2.o0, o3: !ref n5.o0, o4: !ref n9.b}",
                 "fixed_inputs: {x: 3}", "inputs: {xs: [5]}",
                 'schedule: {cron: "0 2 * * *", timezone: Europe/Berlin, kickoff_input: when}',
                 "labels: {team: data}", "annotations: {owner: me}", "max_parallelism: 2",
                 'schedule: {rate: "90m"}', "active: true")

    def test_compiles(self):
        out = compile_yaml(self, self.yaml)
        if out is None:
            self.skipTest("bin/flytec is not built")
        self.assertIn("map: parallelism=3 min_success_ratio=0.75", out)
        self.assertIn('schedule: cron "CRON_TZ=Europe/Berlin 0 2 * * *"', out)
        self.assertIn("gate approve go", out)

    def test_task_called_outside_a_workflow_is_a_function(self):
        self.assertEqual(self.mod.inc(x=4), 5)


class TracingErrors(unittest.TestCase):
    def expect(self, source, pattern):
        with self.assertRaises(FlytecError) as cm:
            mod, _ = temp_module(self, source)
            emit(mod)
        self.assertRegex(str(cm.exception), pattern)

    HEAD = """\
        from flytec import task, workflow, conditional

        @task
        def t(x: int) -> int:
            return x

        @task
        def s(x: str) -> str:
            return x
        """

    def test_promise_used_as_a_bool(self):
        self.expect(self.HEAD + """
        @workflow
        def w(x: int) -> int:
            y = t(x=x)
            if y > 3:
                return y
            return t(x=y)
        """, r"\.py:14: a condition cannot be used as a bool while tracing")

    def test_promise_as_int(self):
        self.expect(self.HEAD + """
        @workflow
        def w(x: int) -> int:
            return t(x=int(t(x=x)))
        """, r"\.py:13: the promise n0\.o0 is used as an int")

    def test_promise_formatted(self):
        self.expect(self.HEAD + """
        @workflow
        def w(x: int) -> str:
            return s(x=f"{x}")
        """, r"\.py:13: the promise inputs\.x is used as a string")

    def test_missing_input(self):
        self.expect(self.HEAD + """
        @workflow
        def w(x: int) -> int:
            return t()
        """, r"\.py:13: task '.*\.t' needs input 'x' \(integer\), which is not given")

    def test_unknown_input(self):
        self.expect(self.HEAD + """
        @workflow
        def w(x: int) -> int:
            return t(x=x, y=2)
        """, r"\.py:13: task '.*\.t' has no input 'y'")

    def test_positional(self):
        self.expect(self.HEAD + """
        @workflow
        def w(x: int) -> int:
            return t(x)
        """, r"\.py:13: task '.*\.t' is called with positional arguments")

    def test_wrong_type(self):
        self.expect(self.HEAD + """
        @workflow
        def w(x: int) -> str:
            return s(x=t(x=x))
        """, r"\.py:13: input 'x' of task '.*\.s' has type string, but n0\.o0 has type integer")

    def test_wrong_literal(self):
        self.expect(self.HEAD + """
        @workflow
        def w(x: int) -> int:
            return t(x="3")
        """, r"\.py:13: input 'x' of task '.*\.t': '3' \(a str\) is not a value of type integer")

    def test_cycle(self):
        self.expect(self.HEAD + """
        @workflow
        def w(x: int) -> int:
            a = t(x=x)
            b = t(x=x)
            a >> b
            b >> a
            return a
        """, r"\.py:16: workflow '.*\.w' has a cycle: n\d -> n\d -> n\d")

    def test_unfinished_conditional(self):
        self.expect(self.HEAD + """
        @workflow
        def w(x: int) -> int:
            c = conditional("c").if_(x > 1).then(t(x=x))
            return t(x=x)
        """, r"\.py:13: workflow '.*\.w': conditional 'c' is not finished")

    def test_and_instead_of_ampersand(self):
        self.expect(self.HEAD + """
        @workflow
        def w(x: int) -> int:
            return conditional("c").if_((x > 1) and (x < 5)).then(t(x=x)).else_().then(t(x=x))
        """, r"\.py:13: a condition cannot be used as a bool while tracing.*combine conditions with &")

    def test_outputs_count(self):
        self.expect(self.HEAD + """
        import typing
        @workflow
        def w(x: int) -> typing.Tuple[int, int]:
            return t(x=x)
        """, r"workflow '.*\.w' declares 2 outputs but returns one value")

    def test_launch_plan_unknown_input(self):
        self.expect(self.HEAD + """
        from flytec import LaunchPlan
        @workflow
        def w(x: int) -> int:
            return t(x=x)
        lp = LaunchPlan.get_or_create(w, name="lp", fixed_inputs={"y": 1})
        """, r"\.py:15: launch plan 'lp': fixed_inputs names 'y'")

    def test_cache_without_version(self):
        self.expect("""\
        from flytec import task
        @task(cache=True)
        def t(x: int) -> int:
            return x
        """, r"\.py:2: @task\(cache=True\) needs cache_version")


if __name__ == "__main__":
    unittest.main()
