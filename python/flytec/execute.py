"""python3 -m flytec.execute: run one Python task (the pyflyte-execute contract).

    python3 -m flytec.execute --inputs {{.input}} --output-prefix {{.outputPrefix}}
        --raw-output-data-prefix {{.rawOutputDataPrefix}} -- task-module M task-name F

Reads the inputs LiteralMap (inputs.pb; absent when the task has no inputs), converts every literal to a Python
value by the task's declared type, calls the function and writes OUTPUT_PREFIX/outputs.pb (a LiteralMap). On failure
it writes OUTPUT_PREFIX/error.pb (an ErrorDocument) and exits 1: an exception raised by the task's code is a user
error (not retried by the system budget; the task's retries apply), anything that goes wrong around it (the module
does not import, inputs cannot be read or converted, outputs cannot be written) is a system error, recoverable.
The message holds the traceback. Arguments flytekit passes that do not apply here (--resolver, --checkpoint-path,
--prev-checkpoint, --dynamic-addl-distro, --dynamic-dest-dir) are accepted and ignored.
"""

import argparse
import hashlib
import importlib
import os
import shutil
import sys
import traceback


class _SystemError(Exception):
    pass


def _parse(argv):
    p = argparse.ArgumentParser(prog="python3 -m flytec.execute")
    p.add_argument("--inputs", required=True)
    p.add_argument("--output-prefix", required=True)
    p.add_argument("--raw-output-data-prefix", default="")
    for ignored in ("--checkpoint-path", "--prev-checkpoint", "--resolver", "--dynamic-addl-distro",
                    "--dynamic-dest-dir", "--test"):
        p.add_argument(ignored, default=None)
    p.add_argument("resolver_args", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    rest = [x for x in a.resolver_args if x != "--"]
    kv = dict(zip(rest[0::2], rest[1::2]))
    if len(rest) % 2 or "task-module" not in kv or "task-name" not in kv:
        p.error("expected '-- task-module MODULE task-name NAME' after the options")
    return a, kv["task-module"], kv["task-name"]


def _write(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _error(pb, prefix, origin, message, code):
    E = pb.errors
    kind = E.ContainerError.RECOVERABLE if origin == "system" else E.ContainerError.NON_RECOVERABLE
    ek = pb.execution.ExecutionError.SYSTEM if origin == "system" else pb.execution.ExecutionError.USER
    doc = E.ErrorDocument(error=E.ContainerError(code=code, message=message, kind=kind, origin=ek))
    _write(os.path.join(prefix, "error.pb"), doc.SerializeToString(deterministic=True))


def _store_blob(value, raw_prefix, multipart):
    """A file or directory output: copied under the raw output prefix (when that is a local directory) so it
    outlives the task's sandbox; the literal's URI is the copy."""
    src = os.fspath(value)
    if "://" in src or not raw_prefix or "://" in raw_prefix or not os.path.exists(src):
        return src
    raw = os.path.abspath(raw_prefix)
    if os.path.abspath(src).startswith(raw + os.sep):
        return os.path.abspath(src)
    h = hashlib.sha256(os.path.abspath(src).encode() + str(os.getpid()).encode()).hexdigest()[:16]
    dest = os.path.join(raw, h, os.path.basename(src.rstrip("/")) or "data")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    if multipart or os.path.isdir(src):
        shutil.copytree(src, dest, dirs_exist_ok=True)
    else:
        shutil.copyfile(src, dest)
    return dest


def _outputs(pb, t, ret, raw_prefix):
    from .types import BlobT, TypeTransformError
    outs = t.interface.outputs
    names = list(outs)
    if not names:
        return {}
    if len(names) == 1:
        vals = {names[0]: ret}
    else:
        if not isinstance(ret, tuple) or len(ret) != len(names):
            raise TypeTransformError("task '%s' declares %d outputs (%s) but returned %r"
                                     % (t.name, len(names), ", ".join(names), ret))
        vals = dict(zip(names, ret))
    lits = {}
    for k in names:
        lt = outs[k]
        v = vals[k]
        if isinstance(lt, BlobT) and v is not None:
            v = lt.py(_store_blob(v, raw_prefix, lt.multipart))
        try:
            lits[k] = lt.to_literal(v)
        except TypeTransformError as e:
            raise TypeTransformError("output '%s' of task '%s': %s" % (k, t.name, e))
    return lits


def run(argv):
    a, module, name = _parse(argv)
    prefix = a.output_prefix
    try:
        from . import _pb
        pb = _pb.load()
    except ImportError as e:
        print("flytec.execute: %s" % e, file=sys.stderr)
        return 2
    stage = "loading task %s.%s" % (module, name)
    try:
        here = os.getcwd()
        if here not in sys.path:
            sys.path.insert(0, here)
        mod = importlib.import_module(module)
        t = getattr(mod, name, None)
        from .core import PythonFunctionTask
        if not isinstance(t, PythonFunctionTask):
            raise _SystemError("%s.%s is not a @task of the flytec package (it is %r)" % (module, name, t))
        stage = "reading the inputs %s" % a.inputs
        lm = pb.literals.LiteralMap()
        if os.path.exists(a.inputs):
            with open(a.inputs, "rb") as f:
                lm.ParseFromString(f.read())
        kwargs = {}
        from .core import _NO
        from .types import UnionT, NONE
        for k, (lt, default) in t.interface.inputs.items():
            if k in lm.literals:
                kwargs[k] = lt.from_literal(lm.literals[k])
            elif default is not _NO:
                kwargs[k] = default
            elif isinstance(lt, UnionT) and NONE in lt.variants:
                kwargs[k] = None
            else:
                raise _SystemError("the inputs have no value for '%s' (%s)" % (k, a.inputs))
    except Exception as e:
        msg = "%s: %s\n%s" % (stage, e, traceback.format_exc())
        _error(pb, prefix, "system", msg, "SYSTEM:%s" % type(e).__name__)
        print(msg, file=sys.stderr)
        return 1
    try:
        ret = t.fn(**kwargs)
    except Exception as e:
        msg = "task %s failed: %s: %s\n%s" % (t.name, type(e).__name__, e, traceback.format_exc())
        _error(pb, prefix, "user", msg, "USER:%s" % type(e).__name__)
        print(msg, file=sys.stderr)
        return 1
    try:
        lits = _outputs(pb, t, ret, a.raw_output_data_prefix)
        out = pb.literals.LiteralMap()
        for k in sorted(lits):
            out.literals[k].CopyFrom(lits[k])
        _write(os.path.join(prefix, "outputs.pb"), out.SerializeToString(deterministic=True))
    except Exception as e:
        # a return value that does not fit the declared type is the user's mistake
        from .types import TypeTransformError
        origin = "user" if isinstance(e, TypeTransformError) else "system"
        msg = "writing the outputs of %s: %s\n%s" % (t.name, e, traceback.format_exc())
        _error(pb, prefix, origin, msg, "%s:%s" % (origin.upper(), type(e).__name__))
        print(msg, file=sys.stderr)
        return 1
    return 0


def main():
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
