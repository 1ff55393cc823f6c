"""Writing traced entities as YAML specs in flytec's spec language (docs/spec.md).

The writer is small and deterministic: block mappings for structure, flow style for values, double-quoted strings
(the JSON-compatible YAML escapes), references as `!ref`. Literal values are written converted by the declared type
(types.LType.yaml_value), so the compiler reads back the same literal.
"""

import datetime

from .core import (PythonFunctionTask, ContainerTask, Workflow, LaunchPlan, Promise, CronSchedule, FixedRate,
                   Comparison, Conjunction, DEFAULT_IMAGE, _NO)
from .types import yaml_quote, format_duration, UnionT, NONE, ListT, MapT, FlytecError

_PLAIN_OK = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./")


class Raw(str):
    """Text written as it is (already YAML)."""


def _key(k):
    return k if k and all(c in _PLAIN_OK for c in k) and k[0].isalpha() else yaml_quote(k)


def _scalar(v):
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        if v and all(c in _PLAIN_OK for c in v) and v[0].isalpha() and v.lower() not in _RESERVED:
            return v
        return yaml_quote(v)
    if v is None:
        return "null"
    raise TypeError(repr(v))


_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf"}


def _flow(v):
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (_key(k), _flow(x)) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_flow(x) for x in v) + "]"
    return _scalar(v)


def _block(v, indent, out):
    """Write mapping V at INDENT: nested dicts of dicts/lists as blocks, everything else as flow."""
    pad = " " * indent
    for k, x in v.items():
        if isinstance(x, dict) and x and any(isinstance(y, (dict, list)) for y in x.values()) and \
                not getattr(x, "flow", False):
            out.append("%s%s:" % (pad, _key(k)))
            _block(x, indent + 2, out)
        elif isinstance(x, list) and x and all(isinstance(y, dict) for y in x):
            out.append("%s%s:" % (pad, _key(k)))
            for y in x:
                sub = []
                _block(y, indent + 4, sub)
                sub[0] = pad + "  - " + sub[0][indent + 4:]
                out.extend(sub)
        else:
            out.append("%s%s: %s" % (pad, _key(k), _flow(x)))


class Flow(dict):
    flow = True


def type_spec(t):
    s = t.spec()
    return s if isinstance(s, str) else _to_flow(s)


def _to_flow(s):
    if isinstance(s, dict):
        return Flow((k, _to_flow(v)) for k, v in s.items())
    if isinstance(s, list):
        return [_to_flow(v) for v in s]
    return s


def _type_entry(t):
    s = type_spec(t)
    return s


def binding(value, t):
    """A node input or workflow output: a reference, a literal of type T, or a list/map holding references."""
    if isinstance(value, Promise):
        return Raw("!ref " + value.ref())
    if isinstance(value, (list, tuple)) and _has_promise(value):
        et = t.elem if isinstance(t, ListT) else None
        return [binding(x, et) for x in value]
    if isinstance(value, dict) and _has_promise(value):
        vt = t.value if isinstance(t, MapT) else None
        return Flow((k, binding(value[k], vt)) for k in sorted(value))
    if t is None:
        raise FlytecError("a literal inside a list or dict of promises needs a list or dict input type")
    return Raw(t.yaml_value(value))


def _has_promise(v):
    if isinstance(v, Promise):
        return True
    if isinstance(v, (list, tuple)):
        return any(_has_promise(x) for x in v)
    if isinstance(v, dict):
        return any(_has_promise(x) for x in v.values())
    return False


def _interface(ins, with_defaults):
    out = {}
    for k, entry in ins.items():
        if with_defaults:
            t, d = entry
            if d is _NO or (d is None and isinstance(t, UnionT) and NONE in t.variants):
                out[k] = _type_entry(t)
            else:
                out[k] = Flow([("type", _type_entry(t)), ("default", Raw(t.yaml_value(d)))])
        else:
            out[k] = _type_entry(entry)
    return out


def _resources(opts):
    r = {}
    if opts.requests:
        r["requests"] = Flow(opts.requests.items())
    if opts.limits:
        r["limits"] = Flow(opts.limits.items())
    return r


def _cache(enabled, version, serialize, ignore=()):
    if not enabled:
        return None
    if not serialize and not ignore:
        return version
    c = Flow([("version", version)])
    if serialize:
        c["serializable"] = True
    if ignore:
        c["ignore_inputs"] = list(ignore)
    return c


class Settings:
    """Emit settings: the image for tasks without container_image, the interpreter, extra environment."""

    def __init__(self, image=None, python="python3", env=None, project=None, domain=None):
        self.image = image or DEFAULT_IMAGE
        self.python = python
        self.env = dict(env or {})
        self.project = project
        self.domain = domain


def task_dict(t, st):
    d = {"name": t.name, "type": t.task_type}
    if t.description:
        d["description"] = t.description
    if t.interface.inputs:
        d["inputs"] = _interface(t.interface.inputs, True)
    if t.interface.outputs:
        d["outputs"] = _interface(t.interface.outputs, False)
    o = t.options
    if isinstance(t, PythonFunctionTask):
        c = {"image": o.container_image or st.image, "command": t.command(st.python)}
    else:
        c = {"image": t.image, "command": t.cmd}
        if t.arguments:
            c["args"] = t.arguments
    env = dict(st.env) if isinstance(t, PythonFunctionTask) else {}
    env.update(o.environment)
    if env:
        c["env"] = Flow((k, env[k]) for k in sorted(env))
    res = _resources(o)
    if res:
        c["resources"] = res
    d["container"] = c
    if o.retries:
        d["retries"] = o.retries
    if o.timeout is not None:
        d["timeout"] = format_duration(o.timeout)
    if o.interruptible is not None:
        d["interruptible"] = o.interruptible
    cache = _cache(o.cache, o.cache_version, o.cache_serialize, o.cache_ignore_input_vars)
    if cache is not None:
        d["cache"] = cache
    return d


def condition_text(c):
    if isinstance(c, Conjunction):
        parts = []
        for side in (c.lhs, c.rhs):
            s = condition_text(side)
            if isinstance(side, Conjunction) and side.op != c.op:
                s = "(" + s + ")"
            parts.append(s)
        return (" %s " % c.op).join(parts)
    return "%s %s %s" % (_operand(c.lhs), c.op, _operand(c.rhs))


def _operand(x):
    if isinstance(x, Promise):
        return x.ref()
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (int, float)):
        return repr(x)
    if isinstance(x, str):
        if "'" in x and '"' not in x:
            return '"%s"' % x
        if "'" in x:
            raise FlytecError("a string in a condition cannot hold both quote characters: %r" % x)
        return "'%s'" % x
    raise FlytecError("a condition compares with a number, a string or a bool, not %r" % (x,))


def node_dict(n, with_id=True):
    d = {}
    if with_id:
        d["id"] = n.id
    if n.kind == "task":
        d["task"] = n.target.name
    elif n.kind == "workflow":
        d["workflow"] = n.target.name
    elif n.kind == "launch_plan":
        d["launch_plan"] = n.target.name
    elif n.kind == "map":
        m = Flow([("task", n.target.target.name)])
        if n.target.concurrency is not None:
            m["parallelism"] = n.target.concurrency
        if n.target.min_success_ratio is not None:
            m["min_success_ratio"] = float(n.target.min_success_ratio)
        if n.target.min_successes is not None:
            m["min_successes"] = n.target.min_successes
        if n.extra.get("broadcast"):
            m["broadcast"] = list(n.extra["broadcast"])
        d["map"] = m
    elif n.kind == "gate":
        g = n.extra["gate"]
        if g[0] == "sleep":
            d["gate"] = Flow([("sleep", format_duration(g[1]))])
        elif g[0] == "approve":
            d["gate"] = Flow([("approve", g[1])])
        else:
            d["gate"] = Flow([("signal", Flow([("id", g[1]), ("type", type_spec(g[2])), ("output", "o0")]))])
    elif n.kind == "branch":
        cases = []
        for kind, cond, inner, msg in n.extra["cases"]:
            if kind == "else" and inner is None:
                cases.append({"else_fail": msg})
                continue
            c = {}
            if kind in ("if", "elif"):
                c[kind] = condition_text(cond)
                c["then"] = node_dict(inner, with_id=False)
            else:
                c["else"] = node_dict(inner, with_id=False)
            cases.append(c)
        d["branch"] = cases
    if n.inputs:
        d["inputs"] = Flow((k, binding(n.inputs[k], n.input_types.get(k))) for k in sorted(n.inputs))
    if n.after:
        d["after"] = [x.id for x in n.after]
    ov = n.overrides
    if "name" in ov:
        d["name"] = ov["name"]
    if "retries" in ov:
        d["retries"] = ov["retries"]
    if "timeout" in ov:
        d["timeout"] = format_duration(ov["timeout"])
    if "interruptible" in ov:
        d["interruptible"] = ov["interruptible"]
    if "cache" in ov:
        enabled, version, ser = ov["cache"]
        if enabled is False:
            d["cache"] = False
        elif version or ser:
            c = Flow()
            if version:
                c["version"] = version
            if ser:
                c["serializable"] = True
            d["cache"] = c
        else:
            d["cache"] = True
    res = {}
    if "requests" in ov:
        res["requests"] = Flow(ov["requests"].items())
    if "limits" in ov:
        res["limits"] = Flow(ov["limits"].items())
    if res:
        d["resources"] = res
    if "image" in ov:
        d["image"] = ov["image"]
    # nested nodes (branch cases) are written in flow style inside their case
    return d if with_id else _flow_node(d)


def _flow_node(d):
    out = Flow()
    for k, v in d.items():
        if k == "branch":
            raise FlytecError("a conditional inside a conditional case is not supported; use a subworkflow")
        out[k] = v
    return out


def workflow_dict(w):
    nodes, outs = w.compile()
    d = {"name": w.name}
    if w.description:
        d["description"] = w.description
    if w.interface.inputs:
        d["inputs"] = _interface(w.interface.inputs, True)
    d["nodes"] = [node_dict(n) for n in nodes]
    if outs:
        o = {}
        for k, v in outs.items():
            t = w.interface.outputs[k]
            if isinstance(v, Promise):
                o[k] = Raw("!ref " + v.ref())
            else:
                o[k] = Flow([("type", type_spec(t)), ("value", binding(v, t))])
        d["outputs"] = o
    if w.failure_policy:
        d["failure_policy"] = w.failure_policy
    if w._failure_node is not None:
        d["on_failure"] = node_dict(w._failure_node)
    if w.interruptible is not None:
        d["interruptible"] = w.interruptible
    return d


def _rate(td):
    mins = int(td.total_seconds()) // 60
    if mins % 1440 == 0:
        return "%dd" % (mins // 1440)
    if mins % 60 == 0:
        return "%dh" % (mins // 60)
    return "%dm" % mins


def launch_plan_dict(lp):
    d = {"name": lp.name, "workflow": lp.workflow.name}
    if lp.active:
        d["active"] = True
    ins = lp.workflow.interface.inputs
    if lp.default_inputs:
        d["inputs"] = Flow((k, Raw(ins[k][0].yaml_value(lp.default_inputs[k]))) for k in sorted(lp.default_inputs))
    if lp.fixed_inputs:
        d["fixed_inputs"] = Flow((k, Raw(ins[k][0].yaml_value(lp.fixed_inputs[k])))
                                 for k in sorted(lp.fixed_inputs))
    s = lp.schedule
    if isinstance(s, CronSchedule):
        sd = {"cron": s.schedule}
        if s.timezone:
            sd["timezone"] = s.timezone
        if s.kickoff_time_input_arg:
            sd["kickoff_input"] = s.kickoff_time_input_arg
        d["schedule"] = sd
    elif isinstance(s, FixedRate):
        sd = {"rate": _rate(s.duration)}
        if s.kickoff_time_input_arg:
            sd["kickoff_input"] = s.kickoff_time_input_arg
        d["schedule"] = sd
    if lp.max_parallelism is not None:
        d["max_parallelism"] = lp.max_parallelism
    if lp.labels:
        d["labels"] = Flow((k, lp.labels[k]) for k in sorted(lp.labels))
    if lp.annotations:
        d["annotations"] = Flow((k, lp.annotations[k]) for k in sorted(lp.annotations))
    return d


def module_yaml(module, entities, st):
    """The spec file of one module's entities."""
    doc = {}
    if st.project:
        doc["project"] = st.project
    if st.domain:
        doc["domain"] = st.domain
    tasks = [e for e in entities if isinstance(e, (PythonFunctionTask, ContainerTask))]
    wfs = [e for e in entities if isinstance(e, Workflow)]
    lps = [e for e in entities if isinstance(e, LaunchPlan)]
    if tasks:
        doc["tasks"] = [task_dict(t, st) for t in tasks]
    if wfs:
        doc["workflows"] = [workflow_dict(w) for w in wfs]
    if lps:
        doc["launch_plans"] = [launch_plan_dict(lp) for lp in lps]
    out = ["# Written by `python3 -m flytec emit` from the Python module %s; edit the module, not this file."
           % module]
    _block(doc, 0, out)
    return "\n".join(out) + "\n"


__all__ = ["module_yaml", "Settings", "datetime"]
