"""python3 -m flytec.execute: the pyflyte-execute contract (inputs.pb in, outputs.pb or error.pb out)."""

import os
import sys
import tempfile
import textwrap
import unittest

from tests.helpers import needs_pb, run, PYDIR

TASKS = """\
import dataclasses, datetime, typing
from flytec import task, FlyteFile

@dataclasses.dataclass
class P:
    x: int
    tags: typing.List[str]

@task
def combine(n: int, f: float, s: str, when: datetime.datetime, d: datetime.timedelta, xs: typing.List[int],
            m: typing.Dict[str, P], o: typing.Optional[str] = None, k: int = 5) -> typing.NamedTuple(
                "Out", [("total", int), ("text", str), ("p", P)]):
    return (n + sum(xs) + k + int(f) + int(d.total_seconds()), "%s|%s|%s" % (s, when.isoformat(), o),
            P(x=m["a"].x * 2, tags=m["a"].tags + ["done"]))

@task
def boom(n: int) -> int:
    raise ValueError("no good: %d" % n)

@task
def wrong(n: int) -> int:
    return "not an int"

@task
def write_file(name: str) -> FlyteFile:
    with open(name, "w") as f:
        f.write("data")
    return FlyteFile(name)

@task
def nothing() -> None:
    pass
"""


@needs_pb
class Execute(unittest.TestCase):
    def setUp(self):
        from flytec import _pb
        self.pb = _pb.load()
        self.d = tempfile.mkdtemp(prefix="flytec-exec-")
        self.addCleanup(run, ["rm", "-rf", self.d])
        with open(os.path.join(self.d, "extasks.py"), "w") as f:
            f.write(textwrap.dedent(TASKS))
        self.out = os.path.join(self.d, "out")
        self.raw = os.path.join(self.d, "raw")
        os.makedirs(self.raw)
        sys.path.insert(0, self.d)
        self.addCleanup(sys.path.remove, self.d)

    def execute(self, name, inputs):
        import extasks
        t = getattr(extasks, name)
        lm = self.pb.literals.LiteralMap()
        for k, v in inputs.items():
            lm.literals[k].CopyFrom(t.interface.inputs[k][0].to_literal(v))
        path = os.path.join(self.d, "inputs.pb")
        with open(path, "wb") as f:
            f.write(lm.SerializeToString())
        env_pp = self.d + os.pathsep + PYDIR
        r = run([sys.executable, "-c", "import sys; sys.path[:0] = %r.split(%r); from flytec.execute import main; "
                 "main()" % (env_pp, os.pathsep), "--inputs", path, "--output-prefix", self.out,
                 "--raw-output-data-prefix", self.raw, "--resolver", "ignored", "--", "task-module", "extasks",
                 "task-name", name], cwd=self.d)
        return t, r

    def outputs(self, t):
        lm = self.pb.literals.LiteralMap()
        with open(os.path.join(self.out, "outputs.pb"), "rb") as f:
            lm.ParseFromString(f.read())
        return {k: t.interface.outputs[k].from_literal(v) for k, v in lm.literals.items()}

    def error(self):
        doc = self.pb.errors.ErrorDocument()
        with open(os.path.join(self.out, "error.pb"), "rb") as f:
            doc.ParseFromString(f.read())
        return doc.error

    def test_converts_inputs_and_outputs(self):
        import datetime
        import extasks
        t, r = self.execute("combine", {
            "n": 1, "f": 2.9, "s": "hi", "when": datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc),
            "d": datetime.timedelta(seconds=10), "xs": [1, 2], "m": {"a": extasks.P(x=4, tags=["t"])}})
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.outputs(t)
        self.assertEqual(out["total"], 1 + 3 + 5 + 2 + 10)
        self.assertEqual(out["text"], "hi|2024-05-01T00:00:00+00:00|None")
        self.assertEqual(out["p"], extasks.P(x=8, tags=["t", "done"]))
        self.assertFalse(os.path.exists(os.path.join(self.out, "error.pb")))

    def test_user_error_with_traceback(self):
        _t, r = self.execute("boom", {"n": 3})
        self.assertEqual(r.returncode, 1)
        e = self.error()
        self.assertEqual(e.origin, self.pb.execution.ExecutionError.USER)
        self.assertEqual(e.kind, self.pb.errors.ContainerError.NON_RECOVERABLE)
        self.assertEqual(e.code, "USER:ValueError")
        self.assertIn("no good: 3", e.message)
        self.assertIn("Traceback", e.message)
        self.assertIn('extasks.py", line', e.message)
        self.assertFalse(os.path.exists(os.path.join(self.out, "outputs.pb")))

    def test_wrong_return_type_is_a_user_error(self):
        _t, r = self.execute("wrong", {"n": 3})
        self.assertEqual(r.returncode, 1)
        e = self.error()
        self.assertEqual(e.origin, self.pb.execution.ExecutionError.USER)
        self.assertIn("output 'o0' of task 'extasks.wrong'", e.message)

    def test_system_error_for_a_missing_task(self):
        self.execute("boom", {"n": 1})  # creates inputs.pb
        r = run([sys.executable, "-m", "flytec.execute", "--inputs", os.path.join(self.d, "inputs.pb"),
                 "--output-prefix", self.out, "--", "task-module", "no_such_module", "task-name", "x"],
                cwd=self.d)
        self.assertEqual(r.returncode, 1)
        e = self.error()
        self.assertEqual(e.origin, self.pb.execution.ExecutionError.SYSTEM)
        self.assertEqual(e.kind, self.pb.errors.ContainerError.RECOVERABLE)
        self.assertIn("No module named 'no_such_module'", e.message)

    def test_missing_input_is_a_system_error(self):
        t, r = self.execute("boom", {})
        self.assertEqual(r.returncode, 1)
        e = self.error()
        self.assertEqual(e.origin, self.pb.execution.ExecutionError.SYSTEM)
        self.assertIn("no value for 'n'", e.message)

    def test_file_output_is_kept_under_the_raw_prefix(self):
        t, r = self.execute("write_file", {"name": "f.txt"})
        self.assertEqual(r.returncode, 0, r.stderr)
        f = self.outputs(t)["o0"]
        self.assertTrue(f.path.startswith(self.raw + os.sep), f.path)
        with open(f.path) as fh:
            self.assertEqual(fh.read(), "data")

    def test_no_inputs_file_and_no_outputs(self):
        r = run([sys.executable, "-m", "flytec.execute", "--inputs", os.path.join(self.d, "absent.pb"),
                 "--output-prefix", self.out, "--", "task-module", "extasks", "task-name", "nothing"],
                cwd=self.d)
        self.assertEqual(r.returncode, 0, r.stderr)
        lm = self.pb.literals.LiteralMap()
        with open(os.path.join(self.out, "outputs.pb"), "rb") as f:
            lm.ParseFromString(f.read())
        self.assertEqual(len(lm.literals), 0)

    def test_bad_arguments(self):
        r = run([sys.executable, "-m", "flytec.execute", "--inputs", "x", "--output-prefix", self.out, "--",
                 "task-module", "m"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("expected '-- task-module MODULE task-name NAME'", r.stderr)


if __name__ == "__main__":
    unittest.main()
