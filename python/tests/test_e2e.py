"""End to end: the ported examples (examples/python) emitted, compiled with bin/flytec, run with `flytec run`,
outputs checked; emit and package are deterministic; the package form compiles to the YAML form's closures."""

import os
import re
import sys
import tempfile
import unittest

from tests.helpers import needs_pb, needs_flytec, run, FLYTEC, EXAMPLES


def _emit(cmd, out, *extra):
    r = run([sys.executable, "-m", "flytec", cmd, EXAMPLES, "-o", out] + list(extra))
    if r.returncode != 0:
        raise AssertionError("flytec %s failed: %s" % (cmd, r.stderr))
    return r


@needs_flytec
class Examples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="flytec-e2e-")
        cls.specs = os.path.join(cls.tmp, "specs")
        env = ["--env", "PYTHONDONTWRITEBYTECODE=1"]
        if os.environ.get("FLYTEC_PB_DIR"):
            env += ["--env", "FLYTEC_PB_DIR=" + os.environ["FLYTEC_PB_DIR"]]
        _emit("emit", cls.specs, "--local", *env)
        cls.data = os.path.join(cls.tmp, "data")

    @classmethod
    def tearDownClass(cls):
        run(["rm", "-rf", cls.tmp])

    def flytec_run(self, wf, *args, ok=True, data=None):
        r = run([FLYTEC, "run", "%s:%s" % (self.specs, wf), "--data-dir", data or self.data] + list(args))
        if ok:
            self.assertEqual(r.returncode, 0, "%s\n%s" % (r.stdout, r.stderr))
        else:
            self.assertNotEqual(r.returncode, 0, r.stdout)
        return r.stdout + r.stderr

    def outputs(self, text):
        tail = text.split("outputs:\n", 1)[1] if "outputs:\n" in text else ""
        return dict(re.findall(r"^  (\w+): (.*)$", tail, re.M))

    def test_compiles(self):
        r = run([FLYTEC, "compile", self.specs])
        self.assertEqual(r.returncode, 0, r.stderr)
        counts = [len(re.findall(r"^%s " % k, r.stdout, re.M)) for k in ("task", "workflow", "launch_plan")]
        self.assertEqual(counts, [27, 15, 18])
        self.assertIn('schedule: cron "CRON_TZ=Europe/Berlin 30 2 * * *"', r.stdout)
        self.assertIn("schedule: every 1 hour kickoff_input=kickoff_time", r.stdout)

    @needs_pb
    def test_hello_world(self):
        out = self.outputs(self.flytec_run("hello_world.hello_world_wf", "--input", "name=you"))
        self.assertEqual(out, {"o0": '"Hello, you!"'})
        out = self.outputs(self.flytec_run("hello_world.hello_world_wf"))
        self.assertEqual(out, {"o0": '"Hello, world!"'})

    @needs_pb
    def test_typed_pipeline(self):
        out = self.outputs(self.flytec_run("typed_pipeline.pipeline", "--input", "n=3", "--input", "color=blue"))
        self.assertEqual(out["o0"], '"3 points, centroid (1.0, 1.7) blue, mean 1.67, weight 4.0"')
        self.assertEqual(out["o1"], "4.0")

    @needs_pb
    def test_map_tasks(self):
        self.assertEqual(self.outputs(self.flytec_run("map_tasks.squares"))["o0"], "34")
        self.assertEqual(self.outputs(self.flytec_run("map_tasks.squares", "--input", "xs=[5, 6]"))["o0"], "63")
        # 2 of 5 fail under min_success_ratio 0.5: the gathered list has none for the failures
        self.assertEqual(self.outputs(self.flytec_run("map_tasks.tolerant",
                                                      "--input", "xs=[1, 3, 6, 7, 8]"))["o0"], "3")

    @needs_pb
    def test_conditions(self):
        for x, want in (("0.5", "1.0"), ("2.0", "4.0"), ("-10.0", "100.0"), ("-1.0", "1.0")):
            out = self.outputs(self.flytec_run("conditions.multiplier", "--input", "my_input=" + x))
            self.assertEqual(out["o0"], want, x)
        text = self.flytec_run("conditions.only_positive", "--input", "my_input=-1.0", ok=False)
        self.assertIn("the input must be positive", text)
        # coin(3) = 0.57, not < 0.5: the else case squares it
        self.assertEqual(float(self.outputs(self.flytec_run("conditions.on_task_output"))["o0"]), 0.57 * 0.57)

    @needs_pb
    def test_subworkflows(self):
        out = self.outputs(self.flytec_run("subworkflows.parent_wf", "--input", "a=1"))
        self.assertEqual(out, {"o0": "3", "o1": '"world"', "o2": '"world"'})
        self.assertEqual(self.outputs(self.flytec_run("subworkflows.nested_parent"))["o0"], '"worldworld"')

    @needs_pb
    def test_scheduled_workflow(self):
        out = self.outputs(self.flytec_run("scheduling.date_formatter_wf", "--input",
                                           "kickoff_time=2024-05-01T02:30:00Z"))
        self.assertEqual(out["o0"], '"Hello team, it is 2024-05-01T02:30:00+00:00"')

    @needs_pb
    def test_cached_task(self):
        data = os.path.join(self.tmp, "cache-data")
        first = self.flytec_run("caching.cached_wf", "--input", "n=4", data=data)
        self.assertEqual(self.outputs(first)["o0"], "28")
        second = self.flytec_run("caching.cached_wf", "--input", "n=4", data=data)
        self.assertEqual(self.outputs(second)["o0"], "28")
        self.assertIn("node n0 SUCCEEDED (cache hit)", second)
        self.assertIn("node n1 SUCCEEDED (cache hit)", second)

    @needs_pb
    def test_raw_container_and_files(self):
        self.assertEqual(self.outputs(self.flytec_run("raw_containers.area_wf"))["o0"], '"the area is 7.00"')
        self.assertEqual(self.outputs(self.flytec_run("files.files_wf", "--input", "rows=3")),
                         {"o0": "3", "o1": "3"})

    @needs_pb
    def test_gates(self):
        out = self.outputs(self.flytec_run("gates.release_wf", "--approve", "release-ok", "--signal",
                                           "replicas=3"))
        self.assertEqual(out["o0"], '"released build-1.0 x3"')
        text = self.flytec_run("gates.release_wf", "--signal", "replicas=3", ok=False)
        self.assertIn("release-ok", text)


class Determinism(unittest.TestCase):
    def test_emit_is_byte_identical(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            _emit("emit", a)
            _emit("emit", b)
            names = sorted(os.listdir(a))
            self.assertEqual(names, sorted(os.listdir(b)))
            self.assertEqual(len(names), 10)
            for n in names:
                with open(os.path.join(a, n), "rb") as fa, open(os.path.join(b, n), "rb") as fb:
                    self.assertEqual(fa.read(), fb.read(), n)

    @needs_pb
    def test_package_is_byte_identical(self):
        with tempfile.TemporaryDirectory() as d:
            _emit("package", os.path.join(d, "a.tgz"))
            _emit("package", os.path.join(d, "b.tgz"))
            with open(os.path.join(d, "a.tgz"), "rb") as fa, open(os.path.join(d, "b.tgz"), "rb") as fb:
                self.assertEqual(fa.read(), fb.read())


def _json(path):
    import json
    r = run([FLYTEC, "compile", "-q", "--emit", "json", path])
    if r.returncode != 0:
        raise AssertionError(r.stderr)
    return json.loads(r.stdout)


@needs_pb
@needs_flytec
class PackageForm(unittest.TestCase):
    def test_package_compiles_to_the_yaml_closures(self):
        with tempfile.TemporaryDirectory() as d:
            specs = os.path.join(d, "specs")
            tgz = os.path.join(d, "pkg.tgz")
            _emit("emit", specs)
            r = _emit("package", tgz)
            self.assertIn("60 files", r.stdout)
            a = run([FLYTEC, "compile", "-q", specs])
            b = run([FLYTEC, "compile", "-q", tgz, "-W"])
            self.assertEqual(a.returncode, 0, a.stderr)
            self.assertEqual(b.returncode, 0, b.stderr)
            # the YAML form's default launch plans are made by the compiler and marked so; the archive ships them
            want = re.sub(r" \(default\)$", "", a.stdout, flags=re.M)
            self.assertEqual(want.splitlines(), b.stdout.splitlines())
            self.assertIn("workflow flytesnacks/development/conditions.multiplier@", b.stdout)
            self.assertEqual(_json(specs), _json(tgz))

    def test_flytec_convert_reads_the_archive_exactly(self):
        with tempfile.TemporaryDirectory() as d:
            tgz = os.path.join(d, "pkg.tgz")
            _emit("package", tgz)
            r = run([FLYTEC, "convert", tgz, "--to", "yaml-spec", "-W", "-o", os.path.join(d, "back.yaml")])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("60 of 60 compile back to the same IDL; 0 not convertible exactly", r.stdout + r.stderr)

    def test_every_construct_compiles_alike_in_both_forms(self):
        from tests.test_authoring import ALL
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "mods")
            os.makedirs(src)
            with open(os.path.join(src, "allmod.py"), "w") as f:
                f.write(ALL)
            specs = os.path.join(d, "specs")
            tgz = os.path.join(d, "pkg.tgz")
            r = run([sys.executable, "-m", "flytec", "emit", src, "-o", specs])
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run([sys.executable, "-m", "flytec", "package", src, "-o", tgz])
            self.assertEqual(r.returncode, 0, r.stderr)
            a = run([FLYTEC, "compile", "-q", specs])
            b = run([FLYTEC, "compile", "-q", "-W", tgz])
            self.assertEqual(b.returncode, 0, b.stdout + b.stderr)
            self.assertEqual(re.sub(r" \(default\)$", "", a.stdout, flags=re.M), b.stdout)
            # the JSON holds what the text leaves out (binding order, metadata); versions are content hashes
            self.assertEqual(_json(specs), _json(tgz))

    def test_branch_case_reading_a_node_named_like_its_own_local_id(self):
        # The first case's node is <branch>-n0 and reads the outer node n0; the second, <branch>-n1, reads n1. Both
        # keep them as upstream ids, as Flyte does (the compilers once dropped them), in both forms.
        mod = (
            "from flytec import task, workflow, conditional\n"
            "@task\n"
            "def inc(x: int) -> int:\n"
            "    return x + 1\n"
            "@workflow\n"
            "def wf(x: int) -> int:\n"
            "    a = inc(x=x)\n"
            "    b = inc(x=x)\n"
            "    return conditional('c').if_(x > 0).then(inc(x=a)).elif_(x < -5).then(inc(x=b))"
            ".else_().then(inc(x=x))\n")
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "mods")
            os.makedirs(src)
            with open(os.path.join(src, "brmod.py"), "w") as f:
                f.write(mod)
            specs = os.path.join(d, "specs")
            tgz = os.path.join(d, "pkg.tgz")
            for cmd, out in (("emit", specs), ("package", tgz)):
                r = run([sys.executable, "-m", "flytec", cmd, src, "-o", out])
                self.assertEqual(r.returncode, 0, r.stderr)
            for form in (specs, tgz):
                doc = _json(form)
                nodes = doc["workflows"]["brmod.wf"]["primary"]["template"]["nodes"]
                branch = [n for n in nodes if "branchNode" in n][0]
                ie = branch["branchNode"]["ifElse"]
                self.assertEqual(ie["case"]["thenNode"]["id"], branch["id"] + "-n0")
                self.assertEqual(ie["case"]["thenNode"].get("upstreamNodeIds"), ["n0"], form)
                self.assertEqual(ie["other"][0]["thenNode"].get("upstreamNodeIds"), ["n1"], form)
            self.assertEqual(_json(specs), _json(tgz))

    def test_archive_layout(self):
        import tarfile
        with tempfile.TemporaryDirectory() as d:
            tgz = os.path.join(d, "pkg.tgz")
            _emit("package", tgz)
            with tarfile.open(tgz) as t:
                members = t.getmembers()
            names = [m.name for m in members]
            self.assertEqual(names, sorted(names))
            self.assertTrue(all(re.match(r"^\d{3}_[\w.]+_[123]\.pb$", n) for n in names), names)
            self.assertTrue(all(m.mtime == 0 and m.mode == 0o644 and m.uid == 0 for m in members))
            first_wf = min(i for i, n in enumerate(names) if n.endswith("_2.pb"))
            self.assertTrue(all(n.endswith("_1.pb") for n in names[:first_wf]))
            # a launch plan follows its workflow; a workflow follows the launch plans it runs
            self.assertLess(names.index("037_scheduling.date_formatter_wf_2.pb"),
                            names.index("038_scheduling.hourly_3.pb"))
            self.assertLess(names.index("041_subworkflows.sub_lp_3.pb"),
                            names.index("042_subworkflows.nested_parent_2.pb"))


if __name__ == "__main__":
    unittest.main()


class PipInstall(unittest.TestCase):
    @needs_pb
    def test_pip_install_generates_the_idl_modules(self):
        if run([sys.executable, "-m", "pip", "--version"]).returncode != 0:
            self.skipTest("pip is not installed for %s" % sys.executable)
        from tests.helpers import PYDIR
        with tempfile.TemporaryDirectory() as d:
            target = os.path.join(d, "site")
            work = os.path.join(d, "src")
            # build from a copy, so that the checkout gets no build/ or egg-info
            run(["cp", "-r", PYDIR, work])
            run(["ln", "-s", os.path.join(os.path.dirname(PYDIR), "schemas"), os.path.join(d, "schemas")])
            r = run([sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--target", target, work])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertTrue(os.path.exists(os.path.join(target, "flytec", "_gen", "flyteidl", "core",
                                                        "literals_pb2.py")))
            env_code = ("import sys; sys.path.insert(0, %r); import flytec._pb as p; print(p._find())" % target)
            r = run([sys.executable, "-c", env_code], cwd=d)
            self.assertEqual(r.stdout.strip(), os.path.join(target, "flytec", "_gen"), r.stderr)
