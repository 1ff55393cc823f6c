"""grpc_client.py: drives `flytec serve --grpc-listen` with Python's gRPC (Debian's python3-grpcio) and stubs
generated from schemas/flyteidl/service/*.proto into the test's temp dir (first argument: that directory).

    grpc_client.py STUBS scenario GRPC_ADDR REST_URL COMPILED_DIR   the issue's scenario; prints PASS/FAIL lines
    grpc_client.py STUBS token GRPC_ADDR TOKEN                       the token cases
    grpc_client.py STUBS drive grpc|rest ADDR COMPILED_DIR           the same registrations and executions through
                                                                     one door (for the state comparison)
    grpc_client.py STUBS state GRPC_ADDR                             the stored state as canonical text
    grpc_client.py STUBS bench GRPC_ADDR REST_URL SECONDS            GetTask calls/s over gRPC and REST GET
"""
import hashlib
import importlib
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402


def _stub(name):
    """A module generated into the temp dir (not installed anywhere: imported by name)."""
    return importlib.import_module(name)


common_pb2, execution_pb2, launch_plan_pb2, node_execution_pb2, project_pb2, signal_pb2, task_execution_pb2, \
    task_pb2, version_pb2, workflow_pb2, matchable_resource_pb2 = (
        _stub("flyteidl.admin." + m) for m in (
            "common_pb2", "execution_pb2", "launch_plan_pb2", "node_execution_pb2", "project_pb2", "signal_pb2",
            "task_execution_pb2", "task_pb2", "version_pb2", "workflow_pb2", "matchable_resource_pb2"))
compiler_pb2, identifier_pb2, literals_pb2, core_execution_pb2 = (
    _stub("flyteidl.core." + m) for m in ("compiler_pb2", "identifier_pb2", "literals_pb2", "execution_pb2"))
admin_pb2_grpc, auth_pb2, auth_pb2_grpc, signal_pb2_grpc, dataproxy_pb2, dataproxy_pb2_grpc = (
    _stub("flyteidl.service." + m) for m in ("admin_pb2_grpc", "auth_pb2", "auth_pb2_grpc", "signal_pb2_grpc",
                                             "dataproxy_pb2", "dataproxy_pb2_grpc"))

PASS = 0
FAIL = 0
PROJECT, DOMAIN = "grpcp", "development"


def check(name, cond, detail=""):
    global PASS, FAIL
    if cond:
        PASS += 1
        print("ok   " + name)
    else:
        FAIL += 1
        print("FAIL " + name + (": " + str(detail)[:600] if detail else ""))


def code_of(fn, *args, **kw):
    """(status code, details) of a call; (OK, answer) when it succeeds."""
    try:
        return grpc.StatusCode.OK, fn(*args, **kw)
    except grpc.RpcError as e:
        return e.code(), e.details()


def load(compiled):
    """The compiled specs (flytec compile -o) as create requests, in registration order."""
    reqs = []
    for f in sorted(os.listdir(os.path.join(compiled, "tasks"))):
        ct = compiler_pb2.CompiledTask()
        ct.ParseFromString(open(os.path.join(compiled, "tasks", f), "rb").read())
        reqs.append(("task", task_pb2.TaskCreateRequest(id=ct.template.id, spec=task_pb2.TaskSpec(template=ct.template))))
    for f in sorted(os.listdir(os.path.join(compiled, "workflows"))):
        wc = compiler_pb2.CompiledWorkflowClosure()
        wc.ParseFromString(open(os.path.join(compiled, "workflows", f), "rb").read())
        spec = workflow_pb2.WorkflowSpec(template=wc.primary.template)
        spec.sub_workflows.extend(s.template for s in wc.sub_workflows)
        reqs.append(("workflow", workflow_pb2.WorkflowCreateRequest(id=wc.primary.template.id, spec=spec)))
    for f in sorted(os.listdir(os.path.join(compiled, "launch_plans"))):
        lp = launch_plan_pb2.LaunchPlan()
        lp.ParseFromString(open(os.path.join(compiled, "launch_plans", f), "rb").read())
        reqs.append(("launch_plan", launch_plan_pb2.LaunchPlanCreateRequest(id=lp.id, spec=lp.spec)))
    return reqs


def int_inputs(**kv):
    m = literals_pb2.LiteralMap()
    for k, v in kv.items():
        m.literals[k].scalar.primitive.integer = v
    return m


def exec_req(lp_name, name, lp_version, **inputs):
    lp = identifier_pb2.Identifier(resource_type=identifier_pb2.LAUNCH_PLAN, project=PROJECT, domain=DOMAIN,
                                   name=lp_name, version=lp_version)
    return execution_pb2.ExecutionCreateRequest(project=PROJECT, domain=DOMAIN, name=name,
                                                spec=execution_pb2.ExecutionSpec(launch_plan=lp),
                                                inputs=int_inputs(**inputs))


def wexid(name):
    return identifier_pb2.WorkflowExecutionIdentifier(project=PROJECT, domain=DOMAIN, name=name)


class GrpcDoor:
    def __init__(self, addr, token=None, options=None):
        self.channel = grpc.insecure_channel(addr, options=options or [])
        self.admin = admin_pb2_grpc.AdminServiceStub(self.channel)
        self.signal = signal_pb2_grpc.SignalServiceStub(self.channel)
        self.md = [("authorization", "Bearer " + token)] if token else None

    def register(self, kind, req):
        fn = {"task": self.admin.CreateTask, "workflow": self.admin.CreateWorkflow,
              "launch_plan": self.admin.CreateLaunchPlan}[kind]
        return fn(req, metadata=self.md)

    def project(self):
        self.admin.RegisterProject(project_pb2.ProjectRegisterRequest(
            project=project_pb2.Project(id=PROJECT, name=PROJECT)), metadata=self.md)

    def launch(self, req):
        return self.admin.CreateExecution(req, metadata=self.md).id

    def phase(self, name):
        return self.admin.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=wexid(name))).closure.phase

    def signals(self, name):
        return list(self.signal.ListSignals(signal_pb2.SignalListRequest(workflow_execution_id=wexid(name),
                                                                            limit=10)).signals)

    def approve(self, name, signal_id, value=True):
        lit = literals_pb2.Literal()
        lit.scalar.primitive.boolean = value
        self.signal.SetSignal(signal_pb2.SignalSetRequest(
            id=identifier_pb2.SignalIdentifier(signal_id=signal_id, execution_id=wexid(name)), value=lit),
            metadata=self.md)

    def terminate(self, name):
        self.admin.TerminateExecution(execution_pb2.ExecutionTerminateRequest(id=wexid(name), cause="test"),
                                      metadata=self.md)


class RestDoor:
    """The same operations through the REST paths, bodies in proto3 JSON."""

    def __init__(self, url):
        self.url = url

    def _call(self, method, path, msg=None):
        data = json_format.MessageToJson(msg).encode() if msg is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"{}")

    def register(self, kind, req):
        return self._call("POST", "/api/v1/%ss" % kind, req)

    def project(self):
        self._call("POST", "/api/v1/projects", project_pb2.ProjectRegisterRequest(
            project=project_pb2.Project(id=PROJECT, name=PROJECT)))

    def launch(self, req):
        return self._call("POST", "/api/v1/executions", req)

    def phase(self, name):
        d = self._call("GET", "/api/v1/executions/%s/%s/%s" % (PROJECT, DOMAIN, name))
        return core_execution_pb2.WorkflowExecution.Phase.Value(d["closure"]["phase"])

    def signals(self, name):
        return self._call("GET", "/api/v1/signals/%s/%s/%s" % (PROJECT, DOMAIN, name)).get("signals", [])

    def approve(self, name, signal_id, value=True):
        lit = literals_pb2.Literal()
        lit.scalar.primitive.boolean = value
        self._call("POST", "/api/v1/signals", signal_pb2.SignalSetRequest(
            id=identifier_pb2.SignalIdentifier(signal_id=signal_id, execution_id=wexid(name)), value=lit))

    def terminate(self, name):
        self._call("DELETE", "/api/v1/executions/%s/%s/%s" % (PROJECT, DOMAIN, name),
                   execution_pb2.ExecutionTerminateRequest(id=wexid(name), cause="test"))


SUCCEEDED, ABORTED = 4, 7  # core.WorkflowExecution.Phase


def wait_until(fn, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def lp_version(reqs, name):
    return next(r.id.version for k, r in reqs if k == "launch_plan" and r.id.name == name)


def drive(door, compiled):
    """The registrations and executions both doors get in the comparison: returns nothing, state is compared."""
    reqs = load(compiled)
    door.project()
    for kind, req in reqs:
        door.register(kind, req)
    door.launch(exec_req("plain", "p1", lp_version(reqs, "plain"), x=7))
    wait_until(lambda: door.phase("p1") == SUCCEEDED)
    door.launch(exec_req("gated", "g1", lp_version(reqs, "gated"), x=3))
    wait_until(lambda: len(door.signals("g1")) == 1)
    door.approve("g1", "release")
    wait_until(lambda: door.phase("g1") == SUCCEEDED)
    door.launch(exec_req("gated", "g2", lp_version(reqs, "gated"), x=4))
    wait_until(lambda: len(door.signals("g2")) == 1)
    door.terminate("g2")
    wait_until(lambda: door.phase("g2") == ABORTED)


def state(addr):
    """What the store holds, read through gRPC, without times and generated values: one line per fact."""
    g = GrpcDoor(addr)
    out = []
    nid = common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN)
    for kind, fn in (("task", g.admin.ListTasks), ("workflow", g.admin.ListWorkflows),
                     ("launch_plan", g.admin.ListLaunchPlans)):
        for e in fn(common_pb2.ResourceListRequest(id=nid, limit=100)).__getattribute__(kind + "s"):
            body = (e.closure.compiled_task if kind == "task" else
                    e.closure.compiled_workflow if kind == "workflow" else e.spec)
            out.append("%s %s %s %s" % (kind, e.id.name, e.id.version,
                                        body.SerializeToString(deterministic=True).hex()))
    for x in g.admin.ListExecutions(common_pb2.ResourceListRequest(id=nid, limit=100)).executions:
        out.append("execution %s phase=%d lp=%s" % (x.id.name, x.closure.phase, x.spec.launch_plan.name))
        nodes = g.admin.ListNodeExecutions(node_execution_pb2.NodeExecutionListRequest(
            workflow_execution_id=x.id, limit=100)).node_executions
        for n in sorted(nodes, key=lambda n: n.id.node_id):
            out.append("  node %s phase=%d" % (n.id.node_id, n.closure.phase))
        data = g.admin.GetExecutionData(execution_pb2.WorkflowExecutionGetDataRequest(id=x.id))
        out.append("  inputs %s" % json_format.MessageToJson(data.full_inputs, sort_keys=True, indent=None))
        out.append("  outputs %s" % json_format.MessageToJson(data.full_outputs, sort_keys=True, indent=None))
        for s in g.signal.ListSignals(signal_pb2.SignalListRequest(workflow_execution_id=x.id, limit=10)).signals:
            out.append("  signal %s value=%s" % (s.id.signal_id, s.value.SerializeToString(deterministic=True).hex()))
    return sorted(out)


def scenario(addr, rest_url, compiled):
    g = GrpcDoor(addr)
    reqs = load(compiled)
    tasks = [r for k, r in reqs if k == "task"]

    code, v = code_of(g.admin.GetVersion, version_pb2.GetVersionRequest())
    check("GetVersion answers", code == grpc.StatusCode.OK and v.control_plane_version.Build, v)
    code, _ = code_of(g.admin.RegisterProject, project_pb2.ProjectRegisterRequest(
        project=project_pb2.Project(id=PROJECT, name=PROJECT)))
    check("RegisterProject", code == grpc.StatusCode.OK, code)
    code, p = code_of(g.admin.ListProjects, project_pb2.ProjectListRequest(limit=10))
    check("ListProjects lists it with its domains", code == grpc.StatusCode.OK and
          any(x.id == PROJECT and len(x.domains) >= 1 for x in p.projects), p)

    # register, idempotently
    codes = [code_of(g.register, k, r)[0] for k, r in reqs]
    check("CreateTask/CreateWorkflow/CreateLaunchPlan register", codes == [grpc.StatusCode.OK] * len(reqs), codes)
    codes = [code_of(g.register, k, r)[0] for k, r in reqs]
    check("registering the same content again is OK", codes == [grpc.StatusCode.OK] * len(reqs), codes)

    # get back byte-identical
    t = tasks[0]
    code, got = code_of(g.admin.GetTask, common_pb2.ObjectGetRequest(id=t.id))
    check("GetTask gives the template back byte-identical",
          code == grpc.StatusCode.OK and got.closure.compiled_task.template.SerializeToString(deterministic=True) ==
          t.spec.template.SerializeToString(deterministic=True), code)
    check("GetTask answers the id asked", code == grpc.StatusCode.OK and got.id == t.id, got)
    rest = json.loads(urllib.request.urlopen("%s/api/v1/tasks/%s/%s/%s/%s" % (
        rest_url, t.id.project, t.id.domain, t.id.name, t.id.version), timeout=10).read())
    check("REST GET of the same task is the same message",
          json_format.ParseDict(rest, task_pb2.Task()).SerializeToString(deterministic=True) ==
          got.SerializeToString(deterministic=True))

    # a different spec under the same version: ALREADY_EXISTS with the diff
    changed = task_pb2.TaskCreateRequest()
    changed.CopyFrom(t)
    changed.spec.template.metadata.retries.retries = 5
    code, details = code_of(g.admin.CreateTask, changed)
    check("a different spec under an existing version: ALREADY_EXISTS", code == grpc.StatusCode.ALREADY_EXISTS,
          (code, details))
    check("... with the diff in the message", "retries" in str(details), details)
    changed.spec.template.custom.update({"blob": "z" * 20000})
    code, details = code_of(g.admin.CreateTask, changed)
    check("a conflict with a 20 kB diff: still ALREADY_EXISTS, its message cut to fit the trailers",
          code == grpc.StatusCode.ALREADY_EXISTS and "(cut:" in str(details) and len(details) <= 2048,
          (code, str(details)[:200]))

    # list with filters and paging: six versions of one task
    versions = {t.id.version}
    for i in range(5):
        r = task_pb2.TaskCreateRequest()
        r.CopyFrom(t)
        r.id.version = "v%d" % i
        r.spec.template.id.version = "v%d" % i
        code, _ = code_of(g.admin.CreateTask, r)
        versions.add(r.id.version)
    seen, token, pages = [], "", 0
    while True:
        code, page = code_of(g.admin.ListTasks, common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN, name=t.id.name), limit=2,
            token=token))
        if code != grpc.StatusCode.OK:
            break
        pages += 1
        seen += [x.id.version for x in page.tasks]
        token = page.token
        if not token or pages > 10:
            break
    check("ListTasks pages through every version, 2 at a time", sorted(seen) == sorted(versions) and pages == 3,
          (seen, pages, code))
    code, page = code_of(g.admin.ListTasks, common_pb2.ResourceListRequest(
        id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN), limit=100, filters="eq(version,v3)"))
    check("ListTasks with a filter", code == grpc.StatusCode.OK and [x.id.version for x in page.tasks] == ["v3"],
          (code, page))
    code, page = code_of(g.admin.ListTasks, common_pb2.ResourceListRequest(
        id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN), limit=10, sort_by=common_pb2.Sort(
            key="version", direction=common_pb2.Sort.ASCENDING)))
    check("ListTasks sorted ascending by version",
          code == grpc.StatusCode.OK and [x.id.version for x in page.tasks] ==
          sorted(x.id.version for x in page.tasks), page)
    code, details = code_of(g.admin.ListTasks, common_pb2.ResourceListRequest(
        id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN), filters="eq(nonsense"))
    check("a bad filter: INVALID_ARGUMENT", code == grpc.StatusCode.INVALID_ARGUMENT, (code, details))
    code, ids = code_of(g.admin.ListTaskIds, common_pb2.NamedEntityIdentifierListRequest(
        project=PROJECT, domain=DOMAIN, limit=10))
    check("ListTaskIds", code == grpc.StatusCode.OK and [e.name for e in ids.entities] == [t.id.name], ids)
    code, details = code_of(g.admin.GetTask, common_pb2.ObjectGetRequest(id=identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name="nope", version="1")))
    check("GetTask of an unknown task: NOT_FOUND", code == grpc.StatusCode.NOT_FOUND, (code, details))

    # launch plans
    lpv = lp_version(reqs, "plain")
    code, _ = code_of(g.admin.UpdateLaunchPlan, launch_plan_pb2.LaunchPlanUpdateRequest(
        id=identifier_pb2.Identifier(resource_type=identifier_pb2.LAUNCH_PLAN, project=PROJECT, domain=DOMAIN,
                                     name="plain", version=lpv), state=launch_plan_pb2.ACTIVE))
    check("UpdateLaunchPlan activates", code == grpc.StatusCode.OK, code)
    code, lp = code_of(g.admin.GetActiveLaunchPlan, launch_plan_pb2.ActiveLaunchPlanRequest(
        id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN, name="plain")))
    check("GetActiveLaunchPlan", code == grpc.StatusCode.OK and lp.id.version == lpv, (code, lp))

    # launch and follow to SUCCEEDED
    code, r = code_of(g.admin.CreateExecution, exec_req("plain", "p1", lpv, x=7))
    check("CreateExecution", code == grpc.StatusCode.OK and r.id.name == "p1", (code, r))
    ph = wait_until(lambda: g.phase("p1") == SUCCEEDED)
    check("the execution reaches SUCCEEDED", ph, g.phase("p1"))
    code, d = code_of(g.admin.GetExecutionData, execution_pb2.WorkflowExecutionGetDataRequest(id=wexid("p1")))
    check("GetExecutionData: the inputs", code == grpc.StatusCode.OK and
          d.full_inputs.literals["x"].scalar.primitive.integer == 7, (code, d))
    code, nl = code_of(g.admin.ListNodeExecutions, node_execution_pb2.NodeExecutionListRequest(
        workflow_execution_id=wexid("p1"), limit=100))
    check("ListNodeExecutions", code == grpc.StatusCode.OK and "t" in [n.id.node_id for n in nl.node_executions],
          (code, nl))
    code, n = code_of(g.admin.GetNodeExecution, node_execution_pb2.NodeExecutionGetRequest(
        id=identifier_pb2.NodeExecutionIdentifier(node_id="t", execution_id=wexid("p1"))))
    check("GetNodeExecution", code == grpc.StatusCode.OK and n.closure.phase == 3, (code, n))  # SUCCEEDED
    code, tl = code_of(g.admin.ListTaskExecutions, task_execution_pb2.TaskExecutionListRequest(
        node_execution_id=identifier_pb2.NodeExecutionIdentifier(node_id="t", execution_id=wexid("p1")), limit=10))
    check("ListTaskExecutions", code == grpc.StatusCode.OK and len(tl.task_executions) == 1, (code, tl))
    if code == grpc.StatusCode.OK and tl.task_executions:
        code, te = code_of(g.admin.GetTaskExecution, task_execution_pb2.TaskExecutionGetRequest(
            id=tl.task_executions[0].id))
        check("GetTaskExecution", code == grpc.StatusCode.OK and te.id == tl.task_executions[0].id, (code, te))
    code, xl = code_of(g.admin.ListExecutions, common_pb2.ResourceListRequest(
        id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN), limit=10, filters="eq(phase,SUCCEEDED)"))
    check("ListExecutions with a phase filter", code == grpc.StatusCode.OK and
          [x.id.name for x in xl.executions] == ["p1"], (code, xl))

    # approve a gate
    gv = lp_version(reqs, "gated")
    code_of(g.admin.CreateExecution, exec_req("gated", "g1", gv, x=3))
    sig = wait_until(lambda: g.signals("g1"))
    check("ListSignals shows the gate", sig and sig[0].id.signal_id == "release", sig)
    code, _ = code_of(g.approve, "g1", "release")
    check("SetSignal approves", code == grpc.StatusCode.OK, code)
    check("the gated execution reaches SUCCEEDED", wait_until(lambda: g.phase("g1") == SUCCEEDED), g.phase("g1"))

    # terminate
    code_of(g.admin.CreateExecution, exec_req("gated", "g2", gv, x=4))
    wait_until(lambda: g.signals("g2"))
    # the REST answer of g2 is cached now (read twice: the second is from the server's answer cache) ...
    rest = RestDoor(rest_url)
    before = [rest.phase("g2"), rest.phase("g2")]
    code, _ = code_of(g.terminate, "g2")
    check("TerminateExecution", code == grpc.StatusCode.OK, code)
    # ... and a change through the gRPC door is in the very next REST answer (the cache forgot it at the commit)
    after = rest.phase("g2")
    check("a REST GET right after a gRPC terminate sees it (ABORTING or ABORTED)",
          before[0] == before[1] and before[0] not in (9, ABORTED) and after in (9, ABORTED), (before, after))
    check("the terminated execution ends ABORTED", wait_until(lambda: g.phase("g2") == ABORTED), g.phase("g2"))
    code, details = code_of(g.terminate, "nope")
    check("terminating an unknown execution: NOT_FOUND", code == grpc.StatusCode.NOT_FOUND, (code, details))

    # a bad spec: a workflow whose binding does not type-check gets the compiler's diagnostics
    wf = next(r for k, r in reqs if k == "workflow" and r.id.name == "plain")
    bad = workflow_pb2.WorkflowCreateRequest()
    bad.CopyFrom(wf)
    bad.id.version = "bad"
    bad.spec.template.id.version = "bad"
    bad.spec.template.interface.inputs.variables["x"].type.simple = 3  # STRING, bound to the task's integer
    code, details = code_of(g.admin.CreateWorkflow, bad)
    check("a spec that does not compile: INVALID_ARGUMENT", code == grpc.StatusCode.INVALID_ARGUMENT,
          (code, details))
    check("... with the compiler's diagnostics", "error[" in str(details), details)
    code, details = code_of(g.admin.CreateExecution, exec_req("plain", "p9", lpv, nonsense=1))
    check("launching with an unknown input: INVALID_ARGUMENT", code == grpc.StatusCode.INVALID_ARGUMENT,
          (code, details))

    # methods flytec does not serve
    code, details = code_of(g.admin.ListMatchableAttributes, matchable_resource_pb2.ListMatchableAttributesRequest())
    check("an unserved AdminService method: UNIMPLEMENTED naming it",
          code == grpc.StatusCode.UNIMPLEMENTED and "ListMatchableAttributes" in str(details), (code, details))
    fn = g.channel.unary_unary("/no.Such/Method")
    code, details = code_of(fn, b"")
    check("an unknown service: UNIMPLEMENTED", code == grpc.StatusCode.UNIMPLEMENTED, (code, details))
    am = auth_pb2_grpc.AuthMetadataServiceStub(g.channel)
    code, cfg = code_of(am.GetPublicClientConfig, auth_pb2.PublicClientAuthConfigRequest())
    check("GetPublicClientConfig without a token: auth off", code == grpc.StatusCode.OK and
          not cfg.authorization_metadata_key, (code, cfg))

    # DataProxyService: signed, expiring URLs on the HTTP listener
    dp = dataproxy_pb2_grpc.DataProxyServiceStub(g.channel)
    blob = b"a package's bytes\x00\xff" * 1000
    code, up = code_of(dp.CreateUploadLocation, dataproxy_pb2.CreateUploadLocationRequest(
        project=PROJECT, domain=DOMAIN, filename="pkg.tgz", content_md5=hashlib.md5(blob).digest()))
    check("CreateUploadLocation gives a signed URL on the HTTP listener",
          code == grpc.StatusCode.OK and up.signed_url.startswith(rest_url + "/api/v1/dataproxy/") and
          up.native_url.startswith("file://") and up.expires_at.seconds > time.time(), (code, up))

    def http(method, url, data=None):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method), timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    if code == grpc.StatusCode.OK:
        check("PUT of other bytes to it is refused (MD5)", http("PUT", up.signed_url, b"other")[0] == 400)
        check("PUT with a forged signature is refused", http("PUT", up.signed_url[:-4] + "0000", blob)[0] == 403)
        check("PUT of the bytes to the signed URL", http("PUT", up.signed_url, blob)[0] == 200)
        code, down = code_of(dp.CreateDownloadLocation, dataproxy_pb2.CreateDownloadLocationRequest(
            native_url=up.native_url))
        check("CreateDownloadLocation of the upload", code == grpc.StatusCode.OK, (code, down))
        if code == grpc.StatusCode.OK:
            check("GET of the signed URL gives the bytes back", http("GET", down.signed_url) == (200, blob))
            check("a download URL does not upload", http("PUT", down.signed_url, blob)[0] == 403)
    code, details = code_of(dp.CreateDownloadLocation, dataproxy_pb2.CreateDownloadLocationRequest(
        native_url="file:///etc/passwd"))
    check("CreateDownloadLocation outside the data directory: INVALID_ARGUMENT",
          code == grpc.StatusCode.INVALID_ARGUMENT, (code, details))
    code, details = code_of(dp.CreateUploadLocation, dataproxy_pb2.CreateUploadLocationRequest(
        project=PROJECT, domain=DOMAIN, content_md5=b"0" * 16, filename="../x"))
    check("an upload file name with a path: INVALID_ARGUMENT", code == grpc.StatusCode.INVALID_ARGUMENT,
          (code, details))

    # a 64 MB message is refused, and the server keeps serving
    big = common_pb2.ObjectGetRequest(id=identifier_pb2.Identifier(project=PROJECT, domain=DOMAIN,
                                                                   name="x" * (64 << 20), version="1"))
    code, details = code_of(g.admin.GetTask, big)
    check("a 64 MB message: RESOURCE_EXHAUSTED", code == grpc.StatusCode.RESOURCE_EXHAUSTED, (code, details))
    del big
    check("... and the server still answers", code_of(g.admin.GetTask, common_pb2.ObjectGetRequest(id=t.id))[0] ==
          grpc.StatusCode.OK)

    # 200 concurrent calls
    futs = [g.admin.GetTask.future(common_pb2.ObjectGetRequest(id=t.id)) for _ in range(100)]
    futs += [g.admin.ListTasks.future(common_pb2.ResourceListRequest(
        id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN), limit=3)) for _ in range(100)]
    oks = 0
    for f in futs:
        try:
            f.result(timeout=60)
            oks += 1
        except grpc.RpcError as e:
            print("   ", e.code(), e.details())
    check("200 concurrent calls all answered", oks == 200, oks)

    # clients that go away mid-call, or never send their request, block nobody
    hang = []
    stop = threading.Event()

    def never():  # a request stream that sends nothing until told to stop
        stop.wait(20)
        return
        yield

    for _ in range(20):  # more than the server's worker threads
        fn = g.channel.stream_unary("/flyteidl.service.AdminService/GetTask",
                                    request_serializer=lambda m: m.SerializeToString(),
                                    response_deserializer=task_pb2.Task.FromString)
        hang.append(fn.future(never()))
    raw = []
    for _ in range(20):  # raw TCP: half an HTTP/2 preface, then silence
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
        s.sendall(b"PRI * HTTP/2.0\r\n")
        raw.append(s)
    other = GrpcDoor(addr)
    t0 = time.time()
    code, _ = code_of(other.admin.GetTask, common_pb2.ObjectGetRequest(id=t.id), timeout=10)
    took = time.time() - t0
    check("with 20 silent calls and 20 half-open connections, a call is answered at once",
          code == grpc.StatusCode.OK and took < 2, (code, took))
    for f in hang:
        f.cancel()
    for s in raw:
        s.close()
    stop.set()
    # a client that disconnects after sending its request, before the answer: a fresh process-like channel closed
    for _ in range(10):
        c = grpc.insecure_channel(addr)
        f = admin_pb2_grpc.AdminServiceStub(c).ListTasks.future(common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN), limit=100))
        f.cancel()
        c.close()
    code, _ = code_of(other.admin.GetTask, common_pb2.ObjectGetRequest(id=t.id), timeout=10)
    check("after clients vanished mid-call the server still answers", code == grpc.StatusCode.OK, code)


def token_cases(addr, token):
    g = GrpcDoor(addr)
    code, details = code_of(g.admin.ListProjects, project_pb2.ProjectListRequest(limit=1))
    check("token: a call without it is UNAUTHENTICATED", code == grpc.StatusCode.UNAUTHENTICATED, (code, details))
    check("token: the message says how to send it", "authorization: Bearer" in str(details), details)
    code, details = code_of(g.admin.ListProjects, project_pb2.ProjectListRequest(limit=1),
                            metadata=[("authorization", "Bearer wrong")])
    check("token: a wrong one is UNAUTHENTICATED", code == grpc.StatusCode.UNAUTHENTICATED, (code, details))
    code, _ = code_of(g.admin.ListProjects, project_pb2.ProjectListRequest(limit=1),
                      metadata=[("authorization", "Bearer " + token)])
    check("token: with it the call is answered", code == grpc.StatusCode.OK, code)
    am = auth_pb2_grpc.AuthMetadataServiceStub(g.channel)
    code, cfg = code_of(am.GetPublicClientConfig, auth_pb2.PublicClientAuthConfigRequest())
    check("token: GetPublicClientConfig is open and names the metadata key",
          code == grpc.StatusCode.OK and cfg.authorization_metadata_key == "authorization", (code, cfg))


def bench(addr, rest_url, seconds, compiled):
    g = GrpcDoor(addr)
    t = next(r for k, r in load(compiled) if k == "task")
    req = common_pb2.ObjectGetRequest(id=t.id)
    path = "/api/v1/tasks/%s/%s/%s/%s" % (t.id.project, t.id.domain, t.id.name, t.id.version)
    res = {}
    for door in ("grpc", "grpc32", "rest"):
        n, end = [0], time.time() + seconds
        lock = threading.Lock()

        def loop():
            if door == "rest":
                import http.client
                c = http.client.HTTPConnection(rest_url.split("//")[1], timeout=10)
            k = 0
            while time.time() < end:
                if door == "grpc":
                    g.admin.GetTask(req)
                elif door == "grpc32":  # 32 calls in flight per thread: less of the client's per-call wait
                    for f in [g.admin.GetTask.future(req) for _ in range(32)]:
                        f.result()
                    k += 31
                else:
                    c.request("GET", path)
                    c.getresponse().read()
                k += 1
            with lock:
                n[0] += k

        th = [threading.Thread(target=loop) for _ in range(4)]
        for x in th:
            x.start()
        for x in th:
            x.join()
        res[door] = n[0] / seconds
    print("bench: GetTask over gRPC %.0f calls/s (one call at a time per thread), %.0f calls/s (32 in flight per "
          "thread); REST GET %.0f requests/s (keep-alive); 4 client threads, %ds each, one Python client process"
          % (res["grpc"], res["grpc32"], res["rest"], seconds))


def main():
    what = sys.argv[2]
    if what == "scenario":
        scenario(sys.argv[3], sys.argv[4], sys.argv[5])
    elif what == "token":
        token_cases(sys.argv[3], sys.argv[4])
    elif what == "drive":
        drive(GrpcDoor(sys.argv[4]) if sys.argv[3] == "grpc" else RestDoor(sys.argv[4]), sys.argv[5])
        return 0
    elif what == "state":
        print("\n".join(state(sys.argv[3])))
        return 0
    elif what == "bench":
        bench(sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
        return 0
    print("grpc_client: %d passed, %d failed" % (PASS, FAIL))
    return 1 if FAIL else 0


if __name__ == "__main__":
    sys.exit(main())
