"""Authoring: tasks, workflows traced into nodes, conditionals, gates, map tasks, launch plans.

A workflow function is called once, at definition time or on first use, with a Promise for each input. Calling a
task (or a workflow, a launch plan, a map task, a gate) inside it records a Node and returns Promises of its
outputs. The recorded graph is what the emitters (emit_yaml, emit_idl) write.
"""

import ast
import collections
import dataclasses
import datetime
import functools
import inspect
import os
import typing

from .types import FlytecError, TypeTransformError, to_ltype, NONE, UnionT, Simple, ListT

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
_NO = object()  # no default
_builders = []  # the stack of workflows being traced


def _user_frame():
    """(file, line) of the innermost frame outside this package: the user's line."""
    f = inspect.currentframe()
    while f is not None:
        fn = os.path.abspath(f.f_code.co_filename)
        if not fn.startswith(_PKG_DIR + os.sep):
            return fn, f.f_lineno
        f = f.f_back
    return "<unknown>", 0


def _caller_module():
    """The module name of the user's frame (where an entity object is created)."""
    f = inspect.currentframe()
    while f is not None:
        if not os.path.abspath(f.f_code.co_filename).startswith(_PKG_DIR + os.sep):
            return f.f_globals.get("__name__")
        f = f.f_back
    return None


def _where(loc):
    return "%s:%d" % loc


def _err(msg, loc=None):
    loc = loc or _user_frame()
    return FlytecError("%s: %s" % (_where(loc), msg))


def _tracing():
    return _builders[-1] if _builders else None


# --- resources and options ------------------------------------------------------------------------------------

@dataclasses.dataclass
class Resources:
    """Kubernetes quantities, as flytekit's Resources: cpu="500m", mem="1Gi", gpu="1", storage, ephemeral_storage."""
    cpu: typing.Optional[str] = None
    mem: typing.Optional[str] = None
    gpu: typing.Optional[str] = None
    storage: typing.Optional[str] = None
    ephemeral_storage: typing.Optional[str] = None

    def items(self):
        out = []
        for spec_name, attr in (("cpu", "cpu"), ("memory", "mem"), ("gpu", "gpu"), ("storage", "storage"),
                                ("ephemeral_storage", "ephemeral_storage")):
            v = getattr(self, attr)
            if v is not None:
                out.append((spec_name, str(v)))
        return out


def _seconds(v, what):
    if v is None:
        return None
    if isinstance(v, datetime.timedelta):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return datetime.timedelta(seconds=v)
    raise _err("%s must be a timedelta or a number of seconds, not %r" % (what, v))


# --- interfaces -----------------------------------------------------------------------------------------------

class Interface:
    """inputs: name -> (LType, default or _NO); outputs: name -> LType (ordered as declared)."""

    def __init__(self, inputs, outputs, output_tuple=None):
        self.inputs = inputs
        self.outputs = outputs
        self.output_tuple = output_tuple


def _param_lines(fn):
    """name -> line of each parameter of FN, and the line of its return annotation (key None)."""
    lines = {}
    try:
        src, start = inspect.getsourcelines(fn)
        import textwrap
        tree = ast.parse(textwrap.dedent("".join(src)))
    except (OSError, TypeError, SyntaxError):
        return lines
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == fn.__name__:
            for a in node.args.args + node.args.kwonlyargs:
                lines[a.arg] = start + a.lineno - 1
            lines[None] = start + (node.returns.lineno if node.returns else node.lineno) - 1
            break
    return lines


def _is_namedtuple(t):
    return isinstance(t, type) and issubclass(t, tuple) and hasattr(t, "_fields") and hasattr(t, "__annotations__")


def interface_of(fn, kind):
    """The typed interface of FN from its annotations; errors name the function, the parameter and the line."""
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as e:  # a forward reference that does not resolve, and the like
        raise FlytecError("%s:%d: %s '%s': cannot read the type annotations: %s"
                          % (inspect.getsourcefile(fn), fn.__code__.co_firstlineno, kind, fn.__name__, e))
    sig = inspect.signature(fn)
    lines = _param_lines(fn)
    file = inspect.getsourcefile(fn) or "<unknown>"

    def fail(param, msg):
        line = lines.get(param, fn.__code__.co_firstlineno)
        what = "parameter '%s'" % param if param else "the return annotation"
        return FlytecError("%s:%d: %s '%s', %s: %s" % (file, line, kind, fn.__name__, what, msg))

    inputs = collections.OrderedDict()
    for name, p in sig.parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise fail(name, "*args and **kwargs cannot be typed inputs")
        if name not in hints:
            raise fail(name, "has no type annotation (every input needs one)")
        try:
            t = to_ltype(hints[name])
        except TypeError as e:
            raise fail(name, str(e))
        default = _NO if p.default is p.empty else p.default
        if default is not _NO and default is not None:
            try:
                t.check(default)
            except TypeTransformError as e:
                raise fail(name, "the default does not fit: %s" % e)
        inputs[name] = (t, default)
    outputs = collections.OrderedDict()
    ret = hints.get("return", None)
    tuple_type = None
    if ret is None or ret is type(None):
        pass
    elif _is_namedtuple(ret):
        tuple_type = ret
        rh = typing.get_type_hints(ret, include_extras=True)
        for f in ret._fields:
            try:
                outputs[f] = to_ltype(rh[f])
            except TypeError as e:
                raise fail(None, "field '%s': %s" % (f, e))
    elif typing.get_origin(ret) is tuple:
        args = typing.get_args(ret)
        if not args or args[-1] is Ellipsis:
            raise fail(None, "a tuple return needs its element types: Tuple[int, str]")
        for i, a in enumerate(args):
            try:
                outputs["o%d" % i] = to_ltype(a)
            except TypeError as e:
                raise fail(None, "element %d: %s" % (i, e))
    else:
        try:
            outputs["o0"] = to_ltype(ret)
        except TypeError as e:
            raise fail(None, str(e))
    return Interface(inputs, outputs, tuple_type)


# --- promises -------------------------------------------------------------------------------------------------

class Promise:
    """The future value of an output (or of a workflow input) while a workflow is traced."""
    __hash__ = object.__hash__

    def __init__(self, node, var, ltype):
        self.node = node  # None for a workflow input
        self.var = var
        self.ltype = ltype

    def ref(self):
        return "inputs.%s" % self.var if self.node is None else "%s.%s" % (self.node.id, self.var)

    def _misuse(self, what):
        raise _err("the promise %s is used as %s while the workflow is traced; its value exists only when the "
                   "workflow runs (pass it to a task, or use conditional() to branch on it)" % (self.ref(), what))

    def __bool__(self):
        self._misuse("a bool (in if/and/or/not)")

    def __int__(self):
        self._misuse("an int")

    def __float__(self):
        self._misuse("a float")

    def __index__(self):
        self._misuse("an index")

    def __iter__(self):
        self._misuse("a sequence (unpacking or iteration)")

    def __len__(self):
        self._misuse("a sized value")

    def __format__(self, spec):
        self._misuse("a string (formatting)")

    def __str__(self):
        return "Promise(%s)" % self.ref()

    __repr__ = __str__

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise _err("the promise %s has no attribute '%s' while the workflow is traced (attribute access on "
                   "promises is not supported)" % (self.ref(), name))

    def _cmp(self, op, other):
        return Comparison(self, op, other)

    def __eq__(self, o):
        return self._cmp("==", o)

    def __ne__(self, o):
        return self._cmp("!=", o)

    def __lt__(self, o):
        return self._cmp("<", o)

    def __le__(self, o):
        return self._cmp("<=", o)

    def __gt__(self, o):
        return self._cmp(">", o)

    def __ge__(self, o):
        return self._cmp(">=", o)

    def is_true(self):
        return Comparison(self, "==", True)

    def is_false(self):
        return Comparison(self, "==", False)

    def with_overrides(self, **kw):
        if self.node is None:
            raise _err("with_overrides() applies to a task call, not to a workflow input")
        self.node.override(**kw)
        return self

    def __rshift__(self, other):
        return _chain(self, other)


def _node_of(x):
    if isinstance(x, (Promise, VoidPromise)):
        return x.node
    if isinstance(x, Outputs):
        return x._node
    return None


def _chain(a, b):
    na, nb = _node_of(a), _node_of(b)
    if na is None or nb is None:
        raise _err("'>>' orders two calls of a workflow (a >> b runs b after a)")
    if na is not nb and na not in nb.after:
        nb.after.append(na)
        nb.after_locs.append(_user_frame())
    return b


class VoidPromise:
    """What a call without outputs returns: a handle on its node (for >> and with_overrides)."""

    def __init__(self, node):
        self.node = node

    def with_overrides(self, **kw):
        self.node.override(**kw)
        return self

    def __rshift__(self, other):
        return _chain(self, other)

    def __bool__(self):
        raise _err("the call of node %s has no outputs; it cannot be used as a value" % self.node.id)


class Outputs(tuple):
    """The promises of a call with several outputs: unpack it, or read outputs by name."""

    def __new__(cls, node, promises):
        t = super().__new__(cls, promises)
        t._node = node
        t._by_name = {p.var: p for p in promises}
        return t

    def __getattr__(self, name):
        by = self.__dict__.get("_by_name") or {}
        if name in by:
            return by[name]
        raise AttributeError("outputs of %s have no '%s' (they are %s)" % (self._node.id, name, list(by)))

    def with_overrides(self, **kw):
        self._node.override(**kw)
        return self

    def __rshift__(self, other):
        return _chain(self, other)


# --- conditions -----------------------------------------------------------------------------------------------

class Comparison:
    def __init__(self, lhs, op, rhs):
        if not isinstance(lhs, Promise) and not isinstance(rhs, Promise):
            raise _err("a comparison in a condition must read a promise")
        self.lhs, self.op, self.rhs = lhs, op, rhs

    def __and__(self, o):
        return Conjunction(self, "and", o)

    def __or__(self, o):
        return Conjunction(self, "or", o)

    def __bool__(self):
        raise _err("a condition cannot be used as a bool while tracing (its value exists only when the workflow "
                   "runs): branch with conditional(), and combine conditions with & and | (not 'and' / 'or'), "
                   "with parentheses around each comparison")

    def promises(self):
        return [x for x in (self.lhs, self.rhs) if isinstance(x, Promise)]


class Conjunction(Comparison):
    def __init__(self, lhs, op, rhs):
        if not isinstance(rhs, Comparison):
            raise _err("& and | combine conditions (comparisons of promises), not %r" % (rhs,))
        self.lhs, self.op, self.rhs = lhs, op, rhs

    def promises(self):
        return self.lhs.promises() + self.rhs.promises()


# --- nodes ----------------------------------------------------------------------------------------------------

class Node:
    """One node of a traced workflow. kind: task, workflow, launch_plan, map, branch, gate."""

    def __init__(self, kind, target, node_id, loc):
        self.kind = kind
        self.target = target
        self.id = node_id
        self.loc = loc
        self.inputs = collections.OrderedDict()  # name -> binding (Promise, value, list or dict of them)
        self.input_types = {}
        self.outputs = collections.OrderedDict()  # name -> LType
        self.after = []
        self.after_locs = []
        self.overrides = {}
        self.extra = {}  # kind-specific (map options, gate spec, branch cases)

    def override(self, name=None, retries=None, timeout=None, interruptible=None, requests=None, limits=None,
                 container_image=None, cache=None, cache_version=None, cache_serialize=None):
        if requests is not None or limits is not None or container_image is not None:
            if self.kind != "task":
                raise _err("requests, limits and container_image override task nodes only (node %s is a %s)"
                           % (self.id, self.kind))
        for k, v in (("name", name), ("retries", retries), ("interruptible", interruptible),
                     ("requests", requests), ("limits", limits), ("image", container_image)):
            if v is not None:
                self.overrides[k] = v
        if timeout is not None:
            self.overrides["timeout"] = _seconds(timeout, "timeout")
        if cache is not None or cache_version is not None or cache_serialize is not None:
            self.overrides["cache"] = (cache, cache_version, cache_serialize)

    def promises(self):
        if not self.outputs:
            return VoidPromise(self)
        ps = [Promise(self, k, t) for k, t in self.outputs.items()]
        if len(ps) == 1:
            return ps[0]
        return Outputs(self, ps)


def _binding_promises(b):
    if isinstance(b, Promise):
        return [b]
    if isinstance(b, (list, tuple)) and not isinstance(b, Outputs):
        return [p for x in b for p in _binding_promises(x)]
    if isinstance(b, dict):
        return [p for x in b.values() for p in _binding_promises(x)]
    return []


def _check_binding(target_desc, name, t, value, loc):
    """Check a value or promise bound to an input of type T; literals are converted now (errors at the call)."""
    if isinstance(value, (VoidPromise, Outputs)):
        raise _err("input '%s' of %s: a call with %s outputs is not a value" %
                   (name, target_desc, "no" if isinstance(value, VoidPromise) else "several"), loc)
    if isinstance(value, Comparison):
        raise _err("input '%s' of %s: a comparison is not a value" % (name, target_desc), loc)
    if isinstance(value, Promise):
        if not _castable(value.ltype, t):
            raise _err("input '%s' of %s has type %s, but %s has type %s"
                       % (name, target_desc, _ts(t), value.ref(), _ts(value.ltype)), loc)
        return
    if _binding_promises(value):
        if isinstance(value, (list, tuple)):
            if not isinstance(t, ListT) and not isinstance(t, UnionT):
                raise _err("input '%s' of %s has type %s, but a list is bound to it" % (name, target_desc, _ts(t)),
                           loc)
            for x in value:
                if isinstance(t, ListT):
                    _check_binding(target_desc, name, t.elem, x, loc)
        return
    try:
        t.check(value)
    except TypeTransformError as e:
        raise _err("input '%s' of %s: %s" % (name, target_desc, e), loc)


def _ts(t):
    s = t.spec()
    return s if isinstance(s, str) else repr(s)


def _castable(src, dst):
    """A conservative subset of Flyte's castability: equal types, into a union/optional, none into optional."""
    if src == dst:
        return True
    if isinstance(dst, UnionT):
        return any(_castable(src, v) for v in dst.variants)
    if isinstance(src, UnionT):
        return all(_castable(v, dst) for v in src.variants)
    if isinstance(src, ListT) and isinstance(dst, ListT):
        return _castable(src.elem, dst.elem)
    if isinstance(dst, Simple) and dst.name == "struct":
        return src.spec() == "struct"
    from .types import BlobT
    if isinstance(src, BlobT) and isinstance(dst, BlobT):
        return src.multipart == dst.multipart and (not src.py.format or not dst.py.format
                                                   or src.py.format == dst.py.format)
    return False


# --- entities -------------------------------------------------------------------------------------------------

class Entity:
    """A task, workflow or launch plan, named module.function as flytekit names them."""
    kind = "entity"

    def _bind_call(self, args, kwargs, interface, what):
        b = _tracing()
        loc = _user_frame()
        if args:
            raise _err("%s '%s' is called with positional arguments inside a workflow; pass every input by name "
                       "(%s)" % (what, self.name, ", ".join("%s=..." % k for k in interface.inputs)), loc)
        node = b.new_node(self.kind if self.kind != "container_task" else "task", self, loc)
        for k in kwargs:
            if k not in interface.inputs:
                raise _err("%s '%s' has no input '%s' (its inputs: %s)"
                           % (what, self.name, k, ", ".join(interface.inputs) or "none"), loc)
        for k, (t, default) in interface.inputs.items():
            if k in kwargs:
                v = kwargs[k]
            elif default is not _NO:
                v = default
            elif isinstance(t, UnionT) and NONE in t.variants:
                v = None
            else:
                raise _err("%s '%s' needs input '%s' (%s), which is not given" % (what, self.name, k, _ts(t)), loc)
            _check_binding("%s '%s'" % (what, self.name), k, t, v, loc)
            node.inputs[k] = v
            node.input_types[k] = t
        node.outputs.update(interface.outputs)
        b.add(node)
        return node

    def __repr__(self):
        return "<%s %s>" % (self.kind, self.name)


def _entity_name(fn, name=None):
    if name:
        return name
    mod = fn.__module__
    if mod == "__main__":
        mod = os.path.splitext(os.path.basename(inspect.getsourcefile(fn) or "main"))[0]
    return "%s.%s" % (mod, fn.__name__)


class TaskOptions:
    def __init__(self, retries=0, timeout=None, cache=False, cache_version="", cache_serialize=False,
                 cache_ignore_input_vars=(), requests=None, limits=None, container_image=None, environment=None,
                 interruptible=None, task_config=None, docs=None, **unknown):
        if unknown:
            raise _err("@task got unknown options: %s" % ", ".join(sorted(unknown)))
        if cache and not cache_version:
            raise _err("@task(cache=True) needs cache_version (as in flytekit)")
        self.retries = retries
        self.timeout = _seconds(timeout, "timeout")
        self.cache = cache
        self.cache_version = cache_version
        self.cache_serialize = cache_serialize
        self.cache_ignore_input_vars = tuple(cache_ignore_input_vars)
        self.requests = requests
        self.limits = limits
        self.container_image = container_image
        self.environment = dict(environment or {})
        self.interruptible = interruptible
        self.description = docs


DEFAULT_IMAGE = "flytec-python:latest"


class PythonFunctionTask(Entity):
    """A Python function as a task (task type python-task), run by `python3 -m flytec.execute`."""
    kind = "task"
    task_type = "python-task"

    def __init__(self, fn, options, name=None):
        self.fn = fn
        self.options = options
        self.name = _entity_name(fn, name)
        self.module = fn.__module__
        self.interface = interface_of(fn, "task")
        self.description = (inspect.getdoc(fn) or "").split("\n\n")[0].replace("\n", " ") or None
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        if _tracing() is None:
            return self.fn(*args, **kwargs)  # outside a workflow: a plain function call, as in flytekit
        return self._bind_call(args, kwargs, self.interface, "task").promises()

    def command(self, python="python3"):
        return [python, "-m", "flytec.execute", "--inputs", "{{.input}}", "--output-prefix", "{{.outputPrefix}}",
                "--raw-output-data-prefix", "{{.rawOutputDataPrefix}}", "--", "task-module", self.module,
                "task-name", self.fn.__name__]


def task(_fn=None, **options):
    """@task or @task(retries=3, timeout=timedelta(minutes=5), cache=True, cache_version="1", requests=Resources(
    cpu="1"), limits=..., container_image=..., environment={...}, interruptible=True)."""
    def wrap(fn):
        return PythonFunctionTask(fn, TaskOptions(**options))
    return wrap(_fn) if _fn is not None else wrap


class ContainerTask(Entity):
    """A raw container (task type raw-container): command and arguments templated with {{.inputs.x}}; outputs are
    files named like the outputs in {{.outputDir}} (flytec's raw-container convention)."""
    kind = "container_task"
    task_type = "raw-container"

    def __init__(self, name, image, command, inputs=None, outputs=None, arguments=None, retries=0, timeout=None,
                 requests=None, limits=None, environment=None, interruptible=None, cache=False, cache_version="",
                 **unknown):
        if unknown:
            raise _err("ContainerTask got unknown options: %s" % ", ".join(sorted(unknown)))
        self.name = name
        self.module = _caller_module()
        self.image = image
        self.cmd = list(command)
        self.arguments = list(arguments or [])
        self.options = TaskOptions(retries=retries, timeout=timeout, requests=requests, limits=limits,
                                   environment=environment, interruptible=interruptible, cache=cache,
                                   cache_version=cache_version)
        loc = _user_frame()
        ins = collections.OrderedDict()
        outs = collections.OrderedDict()
        for src, dst, what in ((inputs or {}, ins, "input"), (outputs or {}, outs, "output")):
            for k, ann in src.items():
                try:
                    t = to_ltype(ann)
                except TypeError as e:
                    raise _err("ContainerTask '%s', %s '%s': %s" % (name, what, k, e), loc)
                dst[k] = (t, _NO) if what == "input" else t
        self.interface = Interface(ins, outs)
        self.description = None

    def __call__(self, *args, **kwargs):
        if _tracing() is None:
            raise _err("ContainerTask '%s' runs only inside a workflow (flytec run)" % self.name)
        return self._bind_call(args, kwargs, self.interface, "task").promises()


# --- workflows ------------------------------------------------------------------------------------------------

class _Builder:
    def __init__(self, wf):
        self.wf = wf
        self.nodes = []
        self.count = 0
        self.cond = None  # the conditional whose case is being built, if any
        self.unfinished = []  # conditionals without their else_() yet

    def new_node(self, kind, target, loc):
        if self.cond is not None:
            return self.cond.new_node(kind, target, loc)
        n = Node(kind, target, "n%d" % self.count, loc)
        self.count += 1
        return n

    def add(self, node):
        if self.cond is not None:
            self.cond.add(node)
        else:
            self.nodes.append(node)


class WorkflowFailurePolicy:
    FAIL_IMMEDIATELY = "fail-immediately"
    FAIL_AFTER_EXECUTABLE_NODES_COMPLETE = "fail-after-executable-nodes-complete"


class Workflow(Entity):
    kind = "workflow"

    def __init__(self, fn, name=None, failure_policy=None, interruptible=None, on_failure=None, docs=None):
        self.fn = fn
        self.name = _entity_name(fn, name)
        self.module = fn.__module__
        self.interface = interface_of(fn, "workflow")
        self.failure_policy = failure_policy
        self.interruptible = interruptible
        self.on_failure = on_failure
        self.description = docs or (inspect.getdoc(fn) or "").split("\n\n")[0].replace("\n", " ") or None
        self._nodes = None
        self._outputs = None
        self._failure_node = None
        functools.update_wrapper(self, fn)

    def compile(self):
        """Trace the function (once); the nodes and output bindings."""
        if self._nodes is not None:
            return self._nodes, self._outputs
        if any(b.wf is self for b in _builders):
            raise _err("workflow '%s' calls itself (directly or through other workflows)" % self.name)
        b = _Builder(self)
        _builders.append(b)
        try:
            args = {k: Promise(None, k, t) for k, (t, _d) in self.interface.inputs.items()}
            ret = self.fn(**args)
            if b.unfinished:
                c = b.unfinished[0]
                raise _err("workflow '%s': conditional '%s' is not finished (it needs .else_().then(...) or "
                           ".else_().fail(...))" % (self.name, c.name), c.loc)
            outs = self._bind_outputs(ret)
            if self.on_failure is not None:
                fn = b.new_node(self.on_failure.kind if self.on_failure.kind != "container_task" else "task",
                                self.on_failure, _user_frame())
                fn.id = "failure"
                for k, (t, default) in self.on_failure.interface.inputs.items():
                    if k in self.interface.inputs:
                        fn.inputs[k] = args[k]
                        fn.input_types[k] = t
                    elif default is not _NO:
                        fn.inputs[k] = default
                        fn.input_types[k] = t
                    elif not (isinstance(t, UnionT) and NONE in t.variants):
                        raise _err("on_failure '%s' needs input '%s', which workflow '%s' does not have"
                                   % (self.on_failure.name, k, self.name))
                fn.outputs.update(self.on_failure.interface.outputs)
                self._failure_node = fn
        finally:
            _builders.pop()
        _check_cycles(b.nodes, self.name)
        self._nodes, self._outputs = b.nodes, outs
        return self._nodes, self._outputs

    def _bind_outputs(self, ret):
        outs = collections.OrderedDict()
        names = list(self.interface.outputs)
        loc = _user_frame()
        if not names:
            if ret is not None and not isinstance(ret, VoidPromise):
                raise _err("workflow '%s' returns a value but declares no outputs (annotate its return type)"
                           % self.name, (inspect.getsourcefile(self.fn), self.fn.__code__.co_firstlineno))
            return outs
        if len(names) == 1:
            vals = [ret]
        elif isinstance(ret, tuple):
            vals = list(ret)
        else:
            raise _err("workflow '%s' declares %d outputs but returns one value" % (self.name, len(names)),
                       (inspect.getsourcefile(self.fn), self.fn.__code__.co_firstlineno))
        if len(vals) != len(names):
            raise _err("workflow '%s' declares %d outputs but returns %d" % (self.name, len(names), len(vals)),
                       (inspect.getsourcefile(self.fn), self.fn.__code__.co_firstlineno))
        for name, v in zip(names, vals):
            t = self.interface.outputs[name]
            if v is None and not (isinstance(t, UnionT) and NONE in t.variants):
                raise _err("workflow '%s' returns nothing for its output '%s'" % (self.name, name),
                           (inspect.getsourcefile(self.fn), self.fn.__code__.co_firstlineno))
            _check_binding("workflow '%s' (its output)" % self.name, name, t, v, loc)
            outs[name] = v
        return outs

    def nodes(self):
        return self.compile()[0]

    def __call__(self, *args, **kwargs):
        if _tracing() is None:
            raise _err("workflow '%s' is called outside a workflow; run it with `flytec run` on the emitted "
                       "specs (local execution of workflows is not supported)" % self.name)
        self.compile()
        return self._bind_call(args, kwargs, self.interface, "workflow").promises()


def workflow(_fn=None, **options):
    """@workflow or @workflow(failure_policy=WorkflowFailurePolicy..., interruptible=..., on_failure=task)."""
    def wrap(fn):
        return Workflow(fn, **options)
    return wrap(_fn) if _fn is not None else wrap


def _check_cycles(nodes, wf_name):
    deps = {}
    for n in nodes:
        ups = [p.node for p in _all_promises(n) if p.node is not None] + list(n.after)
        deps[n] = ups
    state = {}

    def visit(n, path):
        if state.get(n) == 1:
            cyc = path[path.index(n):] + [n]
            raise _err("workflow '%s' has a cycle: %s" % (wf_name, " -> ".join(x.id for x in cyc)),
                       n.after_locs[0] if n.after_locs else n.loc)
        if state.get(n) == 2:
            return
        state[n] = 1
        for u in deps.get(n, []):
            visit(u, path + [n])
        state[n] = 2

    for n in nodes:
        visit(n, [])


def _all_promises(n):
    out = []
    for v in n.inputs.values():
        out += _binding_promises(v)
    if n.kind == "branch":
        for case in n.extra["cases"]:
            if case[1] is not None:
                out += case[1].promises()
            if case[2] is not None:
                out += _all_promises(case[2])
    return out


# --- conditionals ---------------------------------------------------------------------------------------------

class _Conditional:
    def __init__(self, name, builder, loc):
        self.name = name
        self.builder = builder
        self.loc = loc
        self.cases = []  # [kind ('if', 'elif', 'else', 'fail'), condition, node or None, fail message]
        self.pending = None
        self.node = Node("branch", None, name, loc)
        self.node.extra["cases"] = self.cases
        self.inner = 0

    def new_node(self, kind, target, loc):
        if self.pending is None:
            raise _err("conditional '%s': call tasks inside .then(...) only" % self.name, loc)
        if self.pending[2] is not None:
            raise _err("conditional '%s': one call per case (wrap several in a workflow)" % self.name, loc)
        n = Node(kind, target, "%s-n%d" % (self.name, len(self.cases)), loc)
        return n

    def add(self, node):
        self.pending[2] = node


class conditional:
    """conditional("name").if_(cond).then(call).elif_(cond).then(call).else_().then(call) or .else_().fail(msg)."""

    def __init__(self, name):
        b = _tracing()
        if b is None:
            raise _err("conditional() works only inside a @workflow")
        if b.cond is not None:
            raise _err("conditional '%s' is opened inside conditional '%s' (nest them through a workflow)"
                       % (name, b.cond.name))
        self._c = _Conditional(name, b, _user_frame())
        self._c.node.id = name if name else "n%d" % b.count
        b.count += 1
        b.cond = self._c
        b.unfinished.append(self._c)
        self._state = "if"

    def _open(self, kind, cond):
        if cond is not None and not isinstance(cond, Comparison):
            if isinstance(cond, Promise):
                cond = cond.is_true()
            else:
                raise _err("the condition of %s_ must compare a promise (like (x > 3) & (y == 'a')), not %r"
                           % (kind, cond))
        self._c.pending = [kind, cond, None, None]
        self._c.builder.cond = self._c
        return _Case(self)

    def if_(self, cond):
        if self._state != "if":
            raise _err("if_() comes first and once")
        self._state = "elif"
        return self._open("if", cond)

    def elif_(self, cond):
        if self._state != "elif":
            raise _err("elif_() comes after if_(...).then(...)")
        return self._open("elif", cond)

    def else_(self):
        if self._state != "elif":
            raise _err("else_() comes after if_(...).then(...)")
        self._state = "done"
        return self._open("else", None)


class _Case:
    def __init__(self, cond):
        self._cond = cond

    def then(self, result):
        c = self._cond._c
        case = c.pending
        if case is None or case[2] is None or _node_of(result) is not case[2]:
            raise _err("conditional '%s': .then() takes the call made inside it, like .then(t(x=x))" % c.name)
        c.cases.append(case)
        c.pending = None
        c.builder.cond = None
        if case[0] == "else":
            return self._finish()
        return self._cond

    def fail(self, message):
        c = self._cond._c
        if c.pending is None or c.pending[0] != "else":
            raise _err("fail() follows else_()")
        c.pending[3] = str(message)
        c.cases.append(c.pending)
        c.pending = None
        c.builder.cond = None
        return self._finish()

    def _finish(self):
        c = self._cond._c
        node = c.node
        outs = None
        for kind, _cond, inner, _msg in c.cases:
            if inner is None:
                continue
            o = collections.OrderedDict(inner.outputs)
            if outs is None:
                outs = o
            else:
                outs = collections.OrderedDict((k, t) for k, t in outs.items() if k in o and o[k] == t)
        node.outputs.update(outs or {})
        c.builder.nodes.append(node)
        c.builder.unfinished.remove(c)
        return node.promises()


# --- map tasks ------------------------------------------------------------------------------------------------

class MapTask(Entity):
    kind = "map"

    def __init__(self, target, concurrency=None, min_success_ratio=None, min_successes=None):
        broadcast = {}
        if isinstance(target, functools.partial):
            broadcast = dict(target.keywords)
            target = target.func
        if not isinstance(target, (PythonFunctionTask, ContainerTask)):
            raise _err("map_task() maps a task, not %r" % (target,))
        self.target = target
        self.broadcast = broadcast
        self.name = target.name
        self.concurrency = concurrency
        self.min_success_ratio = min_success_ratio
        self.min_successes = min_successes
        ins = collections.OrderedDict()
        for k, (t, d) in target.interface.inputs.items():
            ins[k] = (t, d) if k in broadcast else (ListT(t), _NO)
        outs = collections.OrderedDict((k, ListT(t)) for k, t in target.interface.outputs.items())
        self.interface = Interface(ins, outs)

    def __call__(self, *args, **kwargs):
        if _tracing() is None:
            raise _err("map_task(%s) runs only inside a workflow" % self.name)
        kw = dict(self.broadcast)
        kw.update(kwargs)
        node = self._bind_call(args, kw, self.interface, "map task")
        node.extra["broadcast"] = sorted(self.broadcast)
        return node.promises()


def map_task(target, concurrency=None, min_success_ratio=None, min_successes=None):
    """Run TARGET once per element of its list inputs (an array node). functools.partial(task, x=...) broadcasts x."""
    return MapTask(target, concurrency, min_success_ratio, min_successes)


# --- gates ----------------------------------------------------------------------------------------------------

def _gate_node(spec, inputs, outputs):
    b = _tracing()
    if b is None:
        raise _err("gates (sleep, approve, wait_for_input) work only inside a @workflow")
    node = b.new_node("gate", None, _user_frame())
    node.extra["gate"] = spec
    for k, (v, t) in inputs.items():
        node.inputs[k] = v
        node.input_types[k] = t
    node.outputs.update(outputs)
    b.add(node)
    return node.promises()


def sleep(duration):
    """Wait DURATION (a timedelta) before the nodes after it (chain with >>)."""
    if not isinstance(duration, datetime.timedelta):
        raise _err("sleep() takes a timedelta")
    return _gate_node(("sleep", duration), {}, {})


def approve(upstream_item, name, timeout=None):
    """Wait until the signal NAME is approved; passes UPSTREAM_ITEM through as its output."""
    if not isinstance(upstream_item, Promise):
        raise _err("approve() takes the promise it passes through when approved")
    return _gate_node(("approve", name), {"o0": (upstream_item, upstream_item.ltype)},
                      {"o0": upstream_item.ltype})


def wait_for_input(name, timeout=None, expected_type=bool):
    """Wait for a value of EXPECTED_TYPE given as signal NAME; it becomes the output."""
    t = to_ltype(expected_type)
    return _gate_node(("signal", name, t), {}, {"o0": t})


# --- launch plans and schedules -------------------------------------------------------------------------------

class CronSchedule:
    """A cron schedule: CronSchedule(schedule="0 2 * * *", kickoff_time_input_arg="day", timezone="Europe/Berlin").
    flytekit's cron_expression= is accepted too."""

    def __init__(self, schedule=None, kickoff_time_input_arg=None, timezone=None, cron_expression=None,
                 offset=None):
        self.schedule = schedule or cron_expression
        if not self.schedule:
            raise _err("CronSchedule needs schedule=")
        if offset is not None:
            raise _err("CronSchedule(offset=...) is not supported by flytec's scheduler; shift the expression")
        self.kickoff_time_input_arg = kickoff_time_input_arg
        self.timezone = timezone


class FixedRate:
    """A fixed rate: FixedRate(duration=timedelta(hours=1), kickoff_time_input_arg=...). Whole minutes."""

    def __init__(self, duration, kickoff_time_input_arg=None):
        if not isinstance(duration, datetime.timedelta):
            raise _err("FixedRate needs a timedelta")
        if duration.total_seconds() <= 0 or duration.total_seconds() % 60:
            raise _err("FixedRate must be a whole number of minutes, not %s" % duration)
        self.duration = duration
        self.kickoff_time_input_arg = kickoff_time_input_arg


class LaunchPlan(Entity):
    kind = "launch_plan"

    def __init__(self, workflow, name, default_inputs, fixed_inputs, schedule, max_parallelism, labels,
                 annotations, active, loc):
        self.workflow = workflow
        self.name = name
        self.default_inputs = dict(default_inputs or {})
        self.fixed_inputs = dict(fixed_inputs or {})
        self.schedule = schedule
        self.max_parallelism = max_parallelism
        self.labels = dict(labels or {})
        self.annotations = dict(annotations or {})
        self.active = active
        self.loc = loc
        self.module = _caller_module()
        ins = workflow.interface.inputs
        for what, d in (("default_inputs", self.default_inputs), ("fixed_inputs", self.fixed_inputs)):
            for k, v in d.items():
                if k not in ins:
                    raise _err("launch plan '%s': %s names '%s', which workflow '%s' does not have"
                               % (name, what, k, workflow.name), loc)
                try:
                    ins[k][0].check(v)
                except TypeTransformError as e:
                    raise _err("launch plan '%s': %s '%s': %s" % (name, what, k, e), loc)
        if schedule is not None and schedule.kickoff_time_input_arg:
            k = schedule.kickoff_time_input_arg
            if k not in ins or ins[k][0] != Simple("datetime"):
                raise _err("launch plan '%s': the kickoff input '%s' must be a datetime input of the workflow"
                           % (name, k), loc)
        li = collections.OrderedDict()
        for k, (t, d) in ins.items():
            if k in self.fixed_inputs:
                continue
            li[k] = (t, self.default_inputs.get(k, d))
        self.interface = Interface(li, workflow.interface.outputs)

    @classmethod
    def get_or_create(cls, workflow, name=None, default_inputs=None, fixed_inputs=None, schedule=None,
                      max_parallelism=None, labels=None, annotations=None, auto_activate=False, **unknown):
        loc = _user_frame()
        if unknown:
            raise _err("LaunchPlan.get_or_create got unknown options: %s" % ", ".join(sorted(unknown)), loc)
        if not isinstance(workflow, Workflow):
            raise _err("LaunchPlan.get_or_create takes a @workflow", loc)
        if name is None:
            return workflow  # its default launch plan
        lp = LaunchPlan(workflow, name, default_inputs, fixed_inputs, schedule, max_parallelism, labels,
                        annotations, auto_activate or schedule is not None, loc)
        return lp

    def __call__(self, *args, **kwargs):
        if _tracing() is None:
            raise _err("launch plan '%s' runs only inside a workflow (or with flytec run)" % self.name)
        return self._bind_call(args, kwargs, self.interface, "launch plan").promises()
