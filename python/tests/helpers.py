"""Shared test helpers: where the repository and bin/flytec are, temp modules, the protobuf check."""

import importlib
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)
REPO = os.path.dirname(PYDIR)
FLYTEC = os.environ.get("FLYTEC") or os.path.join(REPO, "bin", "flytec")
EXAMPLES = os.path.join(REPO, "examples", "python")

if PYDIR not in sys.path:
    sys.path.insert(0, PYDIR)

from flytec import _pb  # noqa: E402

HAVE_PB, WHY_NO_PB = _pb.available()
needs_pb = unittest.skipUnless(HAVE_PB, "python3-protobuf or the IDL modules are missing: %s" % WHY_NO_PB)
needs_flytec = unittest.skipUnless(os.access(FLYTEC, os.X_OK), "bin/flytec is not built (make -j2)")

_counter = [0]


def temp_module(test, source):
    """Write SOURCE (dedented) as a fresh module in a temp dir and import it; (module, path)."""
    d = tempfile.mkdtemp(prefix="flytec-pytest-")
    test.addCleanup(subprocess.run, ["rm", "-rf", d])
    _counter[0] += 1
    name = "tmod_%d_%d" % (os.getpid(), _counter[0])
    path = os.path.join(d, name + ".py")
    with open(path, "w") as f:
        f.write(textwrap.dedent(source))
    sys.path.insert(0, d)
    test.addCleanup(sys.path.remove, d)
    return importlib.import_module(name), path


def run(cmd, **kw):
    env = dict(os.environ)
    env["PYTHONPATH"] = PYDIR + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, timeout=300,
                          **kw)
