"""python3 -m flytec emit|package MODULE_OR_DIR... -o OUT"""

import argparse
import os
import sys

from .types import FlytecError


def _local_python():
    """This interpreter, unless it lacks protobuf and Debian's /usr/bin/python3 has it (a pyenv or venv python
    first on PATH): tasks need protobuf to run."""
    try:
        import google.protobuf  # noqa: F401
        return sys.executable
    except ImportError:
        pass
    alt = "/usr/bin/python3"
    if os.path.realpath(alt) != os.path.realpath(sys.executable) and os.access(alt, os.X_OK):
        import subprocess
        if subprocess.run([alt, "-c", "import google.protobuf"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0:
            return alt
    return sys.executable


def _settings(a, roots):
    from .emit_yaml import Settings
    env = {}
    python = a.python
    if a.local:
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join(list(roots) + [here])
        python = _local_python()
    for kv in a.env or []:
        k, _, v = kv.partition("=")
        env[k] = v
    return Settings(image=a.image, python=python, env=env, project=a.project, domain=a.domain)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m flytec", description="Write flytec specs from Python workflows.")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, helptext in (("emit", "write YAML specs, one file per module"),
                           ("package", "write a `pyflyte package` archive (.tgz) of the IDL protobufs")):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("targets", nargs="+", metavar="MODULE_OR_DIR")
        s.add_argument("-o", "--output", required=True)
        s.add_argument("--image", help="container image of Python tasks without container_image")
        s.add_argument("--python", default="python3", help="interpreter in the task command (default python3)")
        s.add_argument("--local", action="store_true",
                       help="for `flytec run` on this machine: this interpreter's path and a PYTHONPATH with the "
                            "modules' roots and this package")
        s.add_argument("--env", action="append", metavar="K=V", help="extra environment of Python tasks")
        s.add_argument("--project")
        s.add_argument("--domain")
    a = p.parse_args(argv)
    from . import loader
    try:
        mods, roots = loader.load(a.targets)
        ents = loader.collect(mods)
        st = _settings(a, roots)
        if a.cmd == "emit":
            from .emit_yaml import module_yaml
            os.makedirs(a.output, exist_ok=True)
            n = 0
            for mod, es in sorted(loader.group(ents).items()):
                path = os.path.join(a.output, mod + ".yaml")
                text = module_yaml(mod, es, st)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                n += 1
            print("flytec emit: %d entities in %d files under %s" % (len(ents), n, a.output))
        else:
            from . import _pb
            ok, why = _pb.available()
            if not ok:
                print("error: cannot write the archive: %s" % why, file=sys.stderr)
                return 1
            from .emit_idl import write_archive
            count = write_archive(ents, st, a.output)
            print("flytec package: %d files in %s" % (count, a.output))
    except FlytecError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
