"""Loading user modules and collecting what they define (and everything that refers to)."""

import importlib
import os
import sys

from .core import Entity, PythonFunctionTask, ContainerTask, Workflow, LaunchPlan, MapTask
from .types import FlytecError


def _import_dir(d):
    names = []
    for dirpath, dirs, files in os.walk(d):
        dirs[:] = sorted(x for x in dirs if not x.startswith((".", "_")) and
                         os.path.exists(os.path.join(dirpath, x, "__init__.py")))
        rel = os.path.relpath(dirpath, d)
        pkg = "" if rel == "." else rel.replace(os.sep, ".") + "."
        for f in sorted(files):
            if f.endswith(".py") and not f.startswith((".", "_")):
                names.append(pkg + f[:-3])
    return names


def load(targets):
    """Import every target (a module name, a .py file or a directory of them); the modules, in order, and the
    root directories put on sys.path."""
    mods = []
    roots = []
    for t in targets:
        if os.path.isdir(t):
            root = os.path.abspath(t)
            names = _import_dir(root)
        elif t.endswith(".py") and os.path.isfile(t):
            root = os.path.dirname(os.path.abspath(t))
            names = [os.path.basename(t)[:-3]]
        elif os.sep in t or t.endswith(".py"):
            raise FlytecError("%s: no such file or directory" % t)
        else:
            root = os.getcwd()
            names = [t]
        if root not in sys.path:
            sys.path.insert(0, root)
        if root not in roots:
            roots.append(root)
        for n in names:
            try:
                mods.append(importlib.import_module(n))
            except FlytecError:
                raise
            except ImportError as e:
                raise FlytecError("cannot import %s: %s" % (n, e))
    return mods, roots


def collect(mods):
    """name -> entity: everything the modules define, and everything those use (tasks of workflows, sub-workflows,
    launch plans and their workflows). Workflows are traced here, so tracing errors surface."""
    found = {}
    order = []

    def add(e):
        if isinstance(e, MapTask):
            e = e.target
        prev = found.get(e.name)
        if prev is e:
            return
        if prev is not None:
            raise FlytecError("two different entities are named '%s' (%r and %r)" % (e.name, prev, e))
        found[e.name] = e
        order.append(e)
        if isinstance(e, Workflow):
            nodes, _outs = e.compile()
            for n in nodes:
                for t in _targets(n):
                    add(t)
            if e._failure_node is not None:
                add(e._failure_node.target)
        elif isinstance(e, LaunchPlan):
            add(e.workflow)

    for m in mods:
        for k in sorted(vars(m)):
            v = getattr(m, k)
            if isinstance(v, (PythonFunctionTask, ContainerTask, Workflow, LaunchPlan)) and \
                    getattr(v, "module", None) == m.__name__:
                add(v)
            elif isinstance(v, MapTask) and v.target.module == m.__name__:
                add(v)
    return found


def _targets(n):
    if n.kind in ("task", "workflow", "launch_plan"):
        yield n.target
    elif n.kind == "map":
        yield n.target.target
    elif n.kind == "branch":
        for case in n.extra["cases"]:
            if case[2] is not None:
                yield from _targets(case[2])


def group(entities):
    """module -> [entities] (sorted by name), the module an entity is emitted with."""
    out = {}
    for name in sorted(entities):
        e = entities[name]
        mod = e.module if not isinstance(e, LaunchPlan) else (e.module or e.workflow.module)
        out.setdefault(mod or "flytec_entities", []).append(e)
    return out


__all__ = ["load", "collect", "group", "Entity"]
