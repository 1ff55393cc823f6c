// flyteidl_check.js: Flyte's own JavaScript IDL classes (@flyteorg/flyteidl, protobufjs) against `flytec serve`,
// speaking protobuf the way Flyte's console does. Run by tests/integration/flyteidl_js_test.sh with
// FLYTEC_URL (the server), FLYTEC_PROJECT/FLYTEC_DOMAIN, FLYTEC_MODE ("main" or "token") and FLYTEC_TOKEN.
// Prints one "PASS name" or "FAIL name: why" line per check.
'use strict';
const path = require('path');
const modules = process.env.FLYTEC_NODE_MODULES;
const need = (m) => require(path.join(modules, m));
const { flyteidl } = need('@flyteorg/flyteidl/gen/pb-js/flyteidl.js');
const protobuf = need('protobufjs');

const admin = flyteidl.admin;
const core = flyteidl.core;
const URL = process.env.FLYTEC_URL;
const P = process.env.FLYTEC_PROJECT;
const D = process.env.FLYTEC_DOMAIN;
const PB = 'application/octet-stream';
// google.rpc.Status is not in flyteidl's bundle: declared here from its published field numbers
const statusRoot = new protobuf.Root();
statusRoot.addJSON(protobuf.common['google/protobuf/any.proto'].nested);
const Status = protobuf.parse(
  'syntax = "proto3"; package google.rpc;' +
  'message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }',
  statusRoot,
).root.lookupType('google.rpc.Status');
// the package's .proto files through protobufjs's reflection, for a JSON view of what the bundled classes decode
const protoDir = path.join(modules, '@flyteorg/flyteidl/protos');
const reflect = new protobuf.Root();
reflect.resolvePath = (origin, target) => (target.startsWith('google/protobuf/') ? target : path.join(protoDir, target));
reflect.loadSync('flyteidl/admin/workflow.proto');

function check(name, ok, why) {
  console.log(ok ? `PASS ${name}` : `FAIL ${name}: ${why}`);
}

async function call(method, p, { body, type, accept = PB, token } = {}) {
  const headers = { Accept: accept };
  if (body !== undefined) headers['Content-Type'] = type || PB;
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(URL + p, { method, headers, body });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get('content-type'), bytes };
}

async function get(cls, p, opts) {
  const r = await call('GET', p, opts);
  if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${Buffer.from(r.bytes).toString().slice(0, 300)}`);
  return cls.decode(r.bytes);
}

async function tryCheck(name, fn) {
  try {
    const why = await fn();
    check(name, !why, why);
  } catch (e) {
    check(name, false, e.message);
  }
}

// JSON text with object keys sorted at every level (field order is not part of either encoding's meaning)
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  await tryCheck('projects', async () => {
    const r = await call('GET', '/api/v1/projects');
    if (r.type !== PB) return `content type ${r.type}`;
    const l = admin.Projects.decode(r.bytes);
    const p = l.projects.find((x) => x.id === P);
    if (!p) return `no project ${P} in ${JSON.stringify(l.projects.map((x) => x.id))}`;
    if (!p.domains.some((d) => d.id === D)) return `no domain ${D}`;
  });
  await tryCheck('task-ids', async () => {
    const l = await get(admin.NamedEntityIdentifierList, `/api/v1/task_ids/${P}/${D}`);
    const names = l.entities.map((e) => e.name);
    if (!names.includes('greet') || !names.includes('fail')) return `task ids ${JSON.stringify(names)}`;
  });
  await tryCheck('launch-plan-ids', async () => {
    const l = await get(admin.NamedEntityIdentifierList, `/api/v1/launch_plan_ids/${P}/${D}`);
    const names = l.entities.map((e) => e.name);
    if (!names.includes('hello')) return `launch plan ids ${JSON.stringify(names)}`;
  });
  await tryCheck('named-entities', async () => {
    const l = await get(admin.NamedEntityList,
      `/api/v1/named_entities/2/${P}/${D}?filters=eq(state,0)&limit=10000&sort_by.direction=ASCENDING&sort_by.key=name`);
    const names = l.entities.map((e) => e.id.name);
    if (JSON.stringify(names) !== JSON.stringify(['broken', 'hello'])) return `workflows ${JSON.stringify(names)}`;
    if (l.entities[0].resourceType !== core.ResourceType.WORKFLOW) return `resource type ${l.entities[0].resourceType}`;
  });
  await tryCheck('named-entity-archive', async () => {
    const req = admin.NamedEntityUpdateRequest.encode({
      resourceType: core.ResourceType.WORKFLOW,
      id: { project: P, domain: D, name: 'broken' },
      metadata: { state: admin.NamedEntityState.NAMED_ENTITY_ARCHIVED, description: 'kept for the record' },
    }).finish();
    const r = await call('PUT', `/api/v1/named_entities/2/${P}/${D}/broken`, { body: req });
    if (r.status !== 200) return `update ${r.status}`;
    admin.NamedEntityUpdateResponse.decode(r.bytes);
    const active = await get(admin.NamedEntityList, `/api/v1/named_entities/2/${P}/${D}?filters=eq(state,0)`);
    if (active.entities.some((e) => e.id.name === 'broken')) return 'archived workflow still listed as active';
    const one = await get(admin.NamedEntity, `/api/v1/named_entities/2/${P}/${D}/broken`);
    if (one.metadata.state !== admin.NamedEntityState.NAMED_ENTITY_ARCHIVED) return `state ${one.metadata.state}`;
    if (one.metadata.description !== 'kept for the record') return `description '${one.metadata.description}'`;
  });
  await tryCheck('workflow-closure-matches-json', async () => {
    const versions = await get(admin.WorkflowList, `/api/v1/workflows/${P}/${D}/hello?limit=1`);
    if (versions.workflows.length !== 1) return `${versions.workflows.length} versions`;
    const id = versions.workflows[0].id;
    const p = `/api/v1/workflows/${P}/${D}/hello/${id.version}`;
    const raw = await call('GET', p);
    const wf = admin.Workflow.decode(raw.bytes);
    const json = JSON.parse(Buffer.from((await call('GET', p, { accept: 'application/json' })).bytes).toString());
    // the same message: protobufjs's JSON view of the compiled workflow equals flytec's proto3 JSON (neither holds
    // a timestamp or duration), and re-encoding what protobufjs decoded gives the bytes flytec sent
    const mine = reflect.lookupType('flyteidl.admin.Workflow').toObject(wf,
      { longs: String, enums: String, bytes: String, json: true });
    const a = canonical(mine.closure.compiledWorkflow);
    const b = canonical(json.closure.compiledWorkflow);
    if (a !== b) return `compiledWorkflow differs:\n pb:   ${a.slice(0, 400)}\n json: ${b.slice(0, 400)}`;
    if (Buffer.compare(Buffer.from(admin.Workflow.encode(wf).finish()), Buffer.from(raw.bytes)) !== 0)
      return 're-encoded bytes differ';
    const m = /^(.*?)(?:\.(\d+))?Z$/.exec(json.closure.createdAt);
    const secs = Math.floor(Date.parse(`${m[1]}Z`) / 1000);
    const nanos = Number((m[2] || '').padEnd(9, '0'));
    if (String(secs) !== wf.closure.createdAt.seconds.toString() || nanos !== wf.closure.createdAt.nanos)
      return `createdAt ${json.closure.createdAt} vs ${JSON.stringify(wf.closure.createdAt)}`;
  });
  let created;
  await tryCheck('create-execution-protobuf', async () => {
    const req = admin.ExecutionCreateRequest.encode({
      project: P, domain: D, name: 'jsexec1',
      spec: { launchPlan: { resourceType: core.ResourceType.LAUNCH_PLAN, project: P, domain: D, name: 'hello' } },
      inputs: { literals: { name: { scalar: { primitive: { stringValue: 'protobuf' } } } } },
    }).finish();
    const r = await call('POST', '/api/v1/executions', { body: req });
    if (r.status !== 200) return `create ${r.status}: ${Buffer.from(r.bytes).toString().slice(0, 300)}`;
    created = admin.ExecutionCreateResponse.decode(r.bytes).id;
    if (!created || created.name !== 'jsexec1') return `id ${JSON.stringify(created)}`;
  });
  await tryCheck('execution-succeeds', async () => {
    let x;
    for (let i = 0; i < 300; i++) {
      x = await get(admin.Execution, `/api/v1/executions/${P}/${D}/jsexec1`);
      if (x.closure.phase === core.WorkflowExecution.Phase.SUCCEEDED) break;
      if (x.closure.phase === core.WorkflowExecution.Phase.FAILED) return `failed: ${JSON.stringify(x.closure.error)}`;
      await sleep(100);
    }
    if (x.closure.phase !== core.WorkflowExecution.Phase.SUCCEEDED) return `phase ${x.closure.phase}`;
    const nodes = await get(admin.NodeExecutionList,
      `/api/v1/node_executions/${P}/${D}/jsexec1?filters=&limit=10000&sort_by.direction=ASCENDING&sort_by.key=created_at`);
    const g = nodes.nodeExecutions.find((n) => n.id.nodeId === 'g');
    if (!g || g.closure.phase !== core.NodeExecution.Phase.SUCCEEDED) return `node g ${JSON.stringify(g && g.closure)}`;
    const data = await get(admin.NodeExecutionGetDataResponse, `/api/v1/data/node_executions/${P}/${D}/jsexec1/g`);
    const out = data.fullOutputs && data.fullOutputs.literals.greeting;
    if (!out || out.scalar.primitive.stringValue !== 'Hello, protobuf!') return `node outputs ${JSON.stringify(data)}`;
  });
  await tryCheck('relaunch-protobuf', async () => {
    const req = admin.ExecutionRelaunchRequest.encode({ id: { project: P, domain: D, name: 'jsexec1' }, name: 'jsexec2' })
      .finish();
    const r = await call('POST', '/api/v1/executions/relaunch', { body: req });
    if (r.status !== 200) return `relaunch ${r.status}: ${Buffer.from(r.bytes).toString().slice(0, 300)}`;
    const id = admin.ExecutionCreateResponse.decode(r.bytes).id;
    const x = await get(admin.Execution, `/api/v1/executions/${P}/${D}/${id.name}`);
    if (x.spec.launchPlan.name !== 'hello') return `relaunched ${JSON.stringify(x.spec.launchPlan)}`;
  });
  await tryCheck('malformed-body-status', async () => {
    const r = await call('POST', '/api/v1/executions', { body: Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]) });
    if (r.status !== 400) return `status ${r.status}`;
    if (r.type !== PB) return `content type ${r.type}`;
    const st = Status.decode(r.bytes);
    if (st.code !== 3 || !/ExecutionCreateRequest/.test(st.message)) return `Status ${JSON.stringify(st)}`;
  });
  await tryCheck('not-found-status', async () => {
    const r = await call('GET', `/api/v1/executions/${P}/${D}/nosuch`);
    const st = Status.decode(r.bytes);
    if (r.status !== 404 || st.code !== 5 || !st.message) return `${r.status} ${JSON.stringify(st)}`;
  });
  await tryCheck('version', async () => {
    const v = await get(admin.GetVersionResponse, '/api/v1/version');
    if (!v.controlPlaneVersion || !v.controlPlaneVersion.Version) return JSON.stringify(v);
  });
}

async function tokenMode() {
  const token = process.env.FLYTEC_TOKEN;
  await tryCheck('token-missing-401-status', async () => {
    const r = await call('GET', '/api/v1/projects');
    if (r.status !== 401 || r.type !== PB) return `${r.status} ${r.type}`;
    const st = Status.decode(r.bytes);
    if (st.code !== 16) return JSON.stringify(st);
  });
  await tryCheck('token-read', async () => {
    const l = await get(admin.Projects, '/api/v1/projects', { token });
    if (!l.projects.some((p) => p.id === P)) return JSON.stringify(l);
  });
  await tryCheck('token-write', async () => {
    const req = admin.ExecutionCreateRequest.encode({
      project: P, domain: D, name: 'jstok',
      spec: { launchPlan: { project: P, domain: D, name: 'hello' } },
    }).finish();
    const bad = await call('POST', '/api/v1/executions', { body: req, token: 'wrong' });
    if (bad.status !== 401) return `wrong token: ${bad.status}`;
    const r = await call('POST', '/api/v1/executions', { body: req, token });
    if (r.status !== 200) return `${r.status} ${Buffer.from(r.bytes).toString().slice(0, 200)}`;
  });
  await tryCheck('token-client-config', async () => {
    const r = await call('GET', '/config/v1/flyte_client', { accept: 'application/json' });
    const c = JSON.parse(Buffer.from(r.bytes).toString());
    if (r.status !== 200 || c.authorization_metadata_key !== 'authorization') return `${r.status} ${JSON.stringify(c)}`;
    const me = await call('GET', '/me', { accept: 'application/json', token });
    if (me.status !== 200) return `/me ${me.status}`;
  });
}

(process.env.FLYTEC_MODE === 'token' ? tokenMode() : main()).catch((e) => {
  check('script', false, e.stack);
});
