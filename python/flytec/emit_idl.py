"""Writing traced entities as Flyte IDL protobufs: the `pyflyte package` archive.

Files `<idx>_<name>_<n>.pb` in a tar.gz: 1 an admin.TaskSpec, 2 an admin.WorkflowSpec (the template and the
templates of the workflows it runs as sub-workflows), 3 an admin.LaunchPlan (every workflow's default plan
included). Identifiers carry flytekit's registration placeholders, which `flytec compile --project/--domain` and
`flytectl register files` fill. The messages are the ones `flytec compile` builds from the YAML form of the same
entities (tests/python compares the compiled closures of both), and the archive is deterministic: entities in a
fixed order, serialized with sorted maps, tar entries with mode 0644, owner 0, mtime 0, and no gzip timestamp.
"""

import gzip
import io
import tarfile

from . import _pb
from .core import (PythonFunctionTask, ContainerTask, Workflow, LaunchPlan, Promise, CronSchedule, FixedRate,
                   Comparison, Conjunction, _NO)
from .types import UnionT, NONE, ListT, MapT, FlytecError
from .core import _binding_promises

PROJECT = "{{ registration.project }}"
DOMAIN = "{{ registration.domain }}"
VERSION = "{{ registration.version }}"

_OPS = {"==": "EQ", "!=": "NEQ", "<": "LT", "<=": "LTE", ">": "GT", ">=": "GTE"}
_RES = {"cpu": "CPU", "gpu": "GPU", "memory": "MEMORY", "storage": "STORAGE",
        "ephemeral_storage": "EPHEMERAL_STORAGE"}


def _ident(m, kind, name):
    I = m.identifier
    return I.Identifier(resource_type=I.ResourceType.Value(kind), project=PROJECT, domain=DOMAIN, name=name,
                        version=VERSION)


def _varmap(m, items):
    vm = m.interface.VariableMap()
    for k, t in items:
        vm.variables[k].type.CopyFrom(t.idl())
    return vm


def _interface(m, iface):
    ti = m.interface.TypedInterface()
    ti.inputs.CopyFrom(_varmap(m, [(k, t) for k, (t, _d) in iface.inputs.items()]))
    ti.outputs.CopyFrom(_varmap(m, list(iface.outputs.items())))
    return ti


def _duration(m, td):
    d = m.duration.Duration()
    d.FromTimedelta(td)
    return d


def _resources(m, requests, limits):
    T = m.tasks
    r = T.Resources()
    for src, dst in ((requests, r.requests), (limits, r.limits)):
        for k, v in (src.items() if src else []):
            dst.add(name=T.Resources.ResourceName.Value(_RES[k]), value=v)
    return r


def task_spec(m, t, st):
    T = m.tasks
    o = t.options
    tt = T.TaskTemplate(id=_ident(m, "TASK", t.name), type=t.task_type)
    md = tt.metadata
    md.retries.retries = o.retries
    if o.cache:
        md.discoverable = True
        md.discovery_version = o.cache_version
        md.cache_serializable = bool(o.cache_serialize)
        md.cache_ignore_input_vars.extend(o.cache_ignore_input_vars)
    if o.timeout is not None:
        md.timeout.CopyFrom(_duration(m, o.timeout))
    if o.interruptible is not None:
        md.interruptible = o.interruptible
    tt.interface.CopyFrom(_interface(m, t.interface))
    c = tt.container
    if isinstance(t, PythonFunctionTask):
        c.image = o.container_image or st.image
        c.command.extend(t.command(st.python))
        env = dict(st.env)
    else:
        c.image = t.image
        c.command.extend(t.cmd)
        c.args.extend(t.arguments)
        env = {}
    env.update(o.environment)
    for k in sorted(env):
        c.env.add(key=k, value=env[k])
    c.resources.CopyFrom(_resources(m, o.requests, o.limits))
    return m.admin_task.TaskSpec(template=tt)


# --- bindings -------------------------------------------------------------------------------------------------

def _literal_binding(m, lit):
    L = m.literals
    if lit.HasField("collection"):
        return L.BindingData(collection=L.BindingDataCollection(
            bindings=[_literal_binding(m, x) for x in lit.collection.literals]))
    if lit.HasField("map"):
        bd = L.BindingData(map=L.BindingDataMap())
        for k in sorted(lit.map.literals):
            bd.map.bindings[k].CopyFrom(_literal_binding(m, lit.map.literals[k]))
        return bd
    return L.BindingData(scalar=lit.scalar)


def _plain_literal(t, v):
    """The literal the compiler makes of a YAML value of type T (union values wrapped with their variant)."""
    return t.to_literal(v)


def binding_data(m, value, t):
    L = m.literals
    if isinstance(value, Promise):
        node = "start-node" if value.node is None else value.node.id
        return L.BindingData(promise=m.types.OutputReference(node_id=node, var=value.var))
    if isinstance(value, (list, tuple)) and _has_promise(value):
        et = t.elem if isinstance(t, ListT) else None
        return L.BindingData(collection=L.BindingDataCollection(bindings=[binding_data(m, x, et) for x in value]))
    if isinstance(value, dict) and _has_promise(value):
        vt = t.value if isinstance(t, MapT) else None
        bd = L.BindingData(map=L.BindingDataMap())
        for k in sorted(value):
            bd.map.bindings[k].CopyFrom(binding_data(m, value[k], vt))
        return bd
    if t is None:
        raise FlytecError("a literal inside a list or dict of promises needs a list or dict input type")
    return _literal_binding(m, _plain_literal(t, value))


def _has_promise(v):
    from .emit_yaml import _has_promise as h
    return h(v)


def _upstream(n, outer_ids):
    """Upstream ids as the compiler sets them: nodes the inputs read (in input order, first seen), then `after`.
    A branch also waits for what its conditions and its inner nodes read."""
    ups = []

    def add(i):
        if i in outer_ids and i not in ups:
            ups.append(i)
    if n.kind == "branch":
        for var in n.extra.get("branch_vars", {}):
            p = n.extra["branch_vars"][var]
            if p.node is not None:
                add(p.node.id)
        for case in n.extra["cases"]:
            if case[2] is not None:
                for i in _upstream(case[2], outer_ids):
                    add(i)
    for k in sorted(n.inputs):
        for p in _binding_promises(n.inputs[k]):
            if p.node is not None:
                add(p.node.id)
    for a in n.after:
        add(a.id)
    return ups


def _inner_upstream(inner, outer_ids, case):
    """Upstream ids of a branch case's node as the spec compiler sets them: the outer nodes it reads (an outer node
    named like the case node's local id, n<case>, included: the case node is <branch>-n<case>)."""
    return _upstream(inner, outer_ids)


def _promises_of(n):
    from .core import _all_promises
    return _all_promises(n)


# --- nodes ----------------------------------------------------------------------------------------------------

def _cond_operand(m, x, branch_inputs):
    C = m.condition
    if isinstance(x, Promise):
        var = "." + x.var if x.node is None else "%s.%s" % (x.node.id, x.var)
        branch_inputs[var] = x
        return C.Operand(var=var)
    L = m.literals
    p = L.Primitive()
    if isinstance(x, bool):
        p.boolean = x
    elif isinstance(x, int):
        p.integer = x
    elif isinstance(x, float):
        p.float_value = x
    elif isinstance(x, str):
        p.string_value = x
    else:
        raise FlytecError("a condition compares with a number, a string or a bool, not %r" % (x,))
    return C.Operand(scalar=L.Scalar(primitive=p))


def _condition(m, c, branch_inputs):
    C = m.condition
    if isinstance(c, Conjunction):
        op = C.ConjunctionExpression.LogicalOperator.Value("AND" if c.op == "and" else "OR")
        return C.BooleanExpression(conjunction=C.ConjunctionExpression(
            operator=op, left_expression=_condition(m, c.lhs, branch_inputs),
            right_expression=_condition(m, c.rhs, branch_inputs)))
    op = C.ComparisonExpression.Operator.Value(_OPS[c.op])
    return C.BooleanExpression(comparison=C.ComparisonExpression(
        operator=op, left_value=_cond_operand(m, c.lhs, branch_inputs),
        right_value=_cond_operand(m, c.rhs, branch_inputs)))


def node_msg(m, n, nodes_by_id, sub=False):
    W = m.workflow
    node = W.Node(id=n.id)
    md = node.metadata
    ov = n.overrides
    if n.kind == "task":
        md.name = n.target.name
        node.task_node.reference_id.CopyFrom(_ident(m, "TASK", n.target.name))
        tn = node.task_node.overrides
        tn.SetInParent()
        if "requests" in ov or "limits" in ov:
            tn.resources.CopyFrom(_resources(m, ov.get("requests"), ov.get("limits")))
        if "image" in ov:
            tn.container_image = ov["image"]
    elif n.kind == "workflow":
        md.name = n.target.name
        node.workflow_node.sub_workflow_ref.CopyFrom(_ident(m, "WORKFLOW", n.target.name))
    elif n.kind == "launch_plan":
        md.name = n.target.name
        node.workflow_node.launchplan_ref.CopyFrom(_ident(m, "LAUNCH_PLAN", n.target.name))
    elif n.kind == "map":
        md.name = n.id
        mt = n.target
        an = node.array_node
        an.node.id = n.id + "-sub"
        an.node.metadata.SetInParent()
        an.node.task_node.reference_id.CopyFrom(_ident(m, "TASK", mt.target.name))
        an.node.task_node.overrides.SetInParent()
        if mt.concurrency is not None:
            an.parallelism = mt.concurrency
        if mt.min_successes is not None:
            an.min_successes = mt.min_successes
        if mt.min_success_ratio is not None:
            an.min_success_ratio = float(mt.min_success_ratio)
        an.is_original_sub_node_interface.value = True
        an.data_mode = W.ArrayNode.DataMode.Value("INDIVIDUAL_INPUT_FILES")
        an.bound_inputs.extend(n.extra.get("broadcast", []))
    elif n.kind == "gate":
        md.name = n.id
        g = n.extra["gate"]
        if g[0] == "sleep":
            node.gate_node.sleep.duration.CopyFrom(_duration(m, g[1]))
        elif g[0] == "approve":
            node.gate_node.approve.signal_id = g[1]
        else:
            node.gate_node.signal.signal_id = g[1]
            node.gate_node.signal.type.CopyFrom(g[2].idl())
            node.gate_node.signal.output_variable_name = "o0"
    elif n.kind == "branch":
        md.name = n.id
        branch_inputs = {}
        ie = node.branch_node.if_else
        for i, (kind, cond, inner, msg) in enumerate(n.extra["cases"]):
            if kind in ("if", "elif"):
                blk = ie.case if kind == "if" else ie.other.add()
                blk.condition.CopyFrom(_condition(m, cond, branch_inputs))
                blk.then_node.CopyFrom(node_msg(m, inner, nodes_by_id, sub=True))
                blk.then_node.upstream_node_ids.extend(_inner_upstream(inner, nodes_by_id, i))
            elif inner is not None:
                ie.else_node.CopyFrom(node_msg(m, inner, nodes_by_id, sub=True))
                ie.else_node.upstream_node_ids.extend(_inner_upstream(inner, nodes_by_id, i))
            else:
                ie.error.failed_node_id = n.id
                ie.error.message = msg
        n.extra["branch_vars"] = dict(branch_inputs)
        for var in branch_inputs:  # in order of appearance, as the compiler adds them
            p = branch_inputs[var]
            node.inputs.add(var=var, binding=binding_data(m, p, p.ltype))
    if "name" in ov:
        md.name = ov["name"]
    if "retries" in ov:
        md.retries.retries = ov["retries"]
    if "timeout" in ov:
        md.timeout.CopyFrom(_duration(m, ov["timeout"]))
    if "interruptible" in ov:
        md.interruptible = ov["interruptible"]
    if "cache" in ov:
        enabled, version, ser = ov["cache"]
        md.cacheable = enabled is not False
        if version:
            md.cache_version = version
        if ser:
            md.cache_serializable = True
    for k in sorted(n.inputs):
        node.inputs.add(var=k, binding=binding_data(m, n.inputs[k], n.input_types.get(k)))
    if not sub:
        node.upstream_node_ids.extend(_upstream(n, nodes_by_id))
    return node


def workflow_template(m, w):
    W = m.workflow
    nodes, outs = w.compile()
    wt = W.WorkflowTemplate(id=_ident(m, "WORKFLOW", w.name))
    wt.metadata.SetInParent()
    if w.failure_policy == "fail-after-executable-nodes-complete":
        wt.metadata.on_failure = W.WorkflowMetadata.OnFailurePolicy.Value("FAIL_AFTER_EXECUTABLE_NODES_COMPLETE")
    wt.metadata_defaults.SetInParent()
    if w.interruptible is not None:
        wt.metadata_defaults.interruptible = w.interruptible
    wt.interface.CopyFrom(_interface(m, w.interface))
    by_id = {n.id: n for n in nodes}
    for n in nodes:
        wt.nodes.add().CopyFrom(node_msg(m, n, by_id))
    for k, v in outs.items():
        wt.outputs.add(var=k, binding=binding_data(m, v, w.interface.outputs[k]))
    if w._failure_node is not None:
        wt.failure_node.CopyFrom(node_msg(m, w._failure_node, by_id, sub=True))
    return wt


def _sub_workflows(w, seen):
    nodes, _o = w.compile()
    out = []

    def visit(n):
        if n.kind == "workflow" and n.target.name not in seen:
            seen.add(n.target.name)
            out.append(n.target)
            out.extend(_sub_workflows(n.target, seen))
        if n.kind == "branch":
            for case in n.extra["cases"]:
                if case[2] is not None:
                    visit(case[2])
    for n in nodes:
        visit(n)
    return out


def workflow_spec(m, w):
    ws = m.admin_workflow.WorkflowSpec(template=workflow_template(m, w))
    for sw in sorted(_sub_workflows(w, {w.name}), key=lambda x: x.name):
        ws.sub_workflows.add().CopyFrom(workflow_template(m, sw))
    return ws


def launch_plan(m, lp):
    """The admin.LaunchPlan of LP, or of workflow LP's default plan."""
    A = m.admin_lp
    if isinstance(lp, Workflow):
        w, name, defaults, fixed, sched, active = lp, lp.name, {}, {}, None, False
        maxp, labels, annotations = None, {}, {}
    else:
        w, name, defaults, fixed, sched, active = (lp.workflow, lp.name, lp.default_inputs, lp.fixed_inputs,
                                                   lp.schedule, lp.active)
        maxp, labels, annotations = lp.max_parallelism, lp.labels, lp.annotations
    out = A.LaunchPlan(id=_ident(m, "LAUNCH_PLAN", name))
    spec = out.spec
    spec.workflow_id.CopyFrom(_ident(m, "WORKFLOW", w.name))
    spec.default_inputs.SetInParent()
    spec.fixed_inputs.SetInParent()
    for k, (t, d) in w.interface.inputs.items():
        if k in fixed:
            continue
        p = spec.default_inputs.parameters[k]
        p.var.type.CopyFrom(t.idl())
        v = defaults.get(k, d)
        if v is _NO or (k not in defaults and v is None and isinstance(t, UnionT) and NONE in t.variants):
            if isinstance(t, UnionT) and NONE in t.variants:
                # the YAML form leaves such an input out, and the compiler defaults it to a plain none
                p.default.CopyFrom(_plain_literal(NONE, None))
            else:
                p.required = True
        else:
            p.default.CopyFrom(_plain_literal(t, v))
    for k in sorted(fixed):
        spec.fixed_inputs.literals[k].CopyFrom(_plain_literal(w.interface.inputs[k][0], fixed[k]))
    if sched is not None:
        s = spec.entity_metadata.schedule
        if isinstance(sched, CronSchedule):
            expr = sched.schedule
            if sched.timezone:
                expr = "CRON_TZ=%s %s" % (sched.timezone, expr)
            s.cron_schedule.schedule = expr
        elif isinstance(sched, FixedRate):
            mins = int(sched.duration.total_seconds()) // 60
            S = m.schedule
            if mins % 1440 == 0:
                s.rate.value, s.rate.unit = mins // 1440, S.FixedRateUnit.Value("DAY")
            elif mins % 60 == 0:
                s.rate.value, s.rate.unit = mins // 60, S.FixedRateUnit.Value("HOUR")
            else:
                s.rate.value, s.rate.unit = mins, S.FixedRateUnit.Value("MINUTE")
        if sched.kickoff_time_input_arg:
            s.kickoff_time_input_arg = sched.kickoff_time_input_arg
    if maxp is not None:
        spec.max_parallelism = maxp
    for k in sorted(labels):
        spec.labels.values[k] = labels[k]
    for k in sorted(annotations):
        spec.annotations.values[k] = annotations[k]
    if active:
        out.closure.state = A.LaunchPlanState.Value("ACTIVE")
    return out


def _order(entities):
    """Tasks, then workflows and launch plans so that each follows what it runs (as flytectl registers them)."""
    tasks = sorted((e for e in entities.values() if isinstance(e, (PythonFunctionTask, ContainerTask))),
                   key=lambda e: e.name)
    out = [("1", t) for t in tasks]
    done = set()

    def wf(w):
        if ("2", w.name) in done:
            return
        done.add(("2", w.name))
        for n in w.nodes():
            for dep in _deps(n):
                if isinstance(dep, Workflow):
                    wf(dep)
                elif isinstance(dep, LaunchPlan):
                    lp(dep)
        out.append(("2", w))

    def lp(p):
        if ("3", p.name) in done:
            return
        wf(p.workflow)
        done.add(("3", p.name))
        out.append(("3", p))

    for e in sorted((e for e in entities.values() if isinstance(e, (Workflow, LaunchPlan))), key=lambda e: e.name):
        if isinstance(e, Workflow):
            wf(e)
        else:
            lp(e)
    # every workflow's default launch plan, unless a plan of its name is declared
    for e in sorted((e for e in entities.values() if isinstance(e, Workflow)), key=lambda e: e.name):
        if ("3", e.name) not in done:
            done.add(("3", e.name))
            out.append(("3", e))
    return out


def _deps(n):
    if n.kind in ("workflow", "launch_plan"):
        yield n.target
    if n.kind == "branch":
        for case in n.extra["cases"]:
            if case[2] is not None:
                yield from _deps(case[2])


def archive_bytes(entities, st):
    m = _pb.load()
    files = []
    order = _order(entities)
    width = max(3, len(str(len(order) - 1)))
    for i, (kind, e) in enumerate(order):
        if kind == "1":
            msg = task_spec(m, e, st)
        elif kind == "2":
            msg = workflow_spec(m, e)
        else:
            msg = launch_plan(m, e)
        files.append(("%0*d_%s_%s.pb" % (width, i, e.name, kind), msg.SerializeToString(deterministic=True)))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue(), len(files)


def write_archive(entities, st, path):
    data, n = archive_bytes(entities, st)
    with open(path, "wb") as f:
        f.write(data)
    return n


__all__ = ["write_archive", "archive_bytes", "Comparison"]
