// app.js: the console's pages, one per hash route (#/...), all drawn from the admin's REST API (docs/api.md).
import * as api from './api.js';
import * as dag from './dag.js';
import { h, append, clear, link, route, time, duration, phaseBadge, TERMINAL, table, errorBox, toast } from './dom.js';
import { typeName, render as renderLit, literalTable, fromPlain, isJsonInput, plain, InputError } from './literals.js';

const LOG_CAP = 256 * 1024; // bytes of a task log shown at once (the rest: "load more")
const POLL_MS = 1000; // live updates when the admin has no watch stream
const PAGE = 25;
const NODE_PAGE = 500; // node executions per page of the node table: the watch stream's `nodes` event carries as many

const main = () => document.getElementById('main');
let pageAbort = null; // stops the current page's streams and timers on navigation

function newPage(title, ...crumbs) {
  if (pageAbort) pageAbort.abort();
  document.getElementById('toast').className = '';
  pageAbort = new AbortController();
  document.title = title + ' · flytec';
  // each page draws into its own element: a slower page still loading when the next one opened draws into a
  // detached element, never over the new page
  const m = h('div', { class: 'page' });
  clear(main()).appendChild(m);
  m.appendChild(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumbs' }, crumbs.map((c, i) => [i ? ' / ' : null, c])));
  m.appendChild(h('h1', null, title));
  return { m, signal: pageAbort.signal };
}

function every(signal, ms, fn) {
  if (signal.aborted) return;
  const t = setInterval(fn, ms);
  signal.addEventListener('abort', () => clearInterval(t));
}

function explain(err) {
  if (err && err.status === 401) return 'This admin needs a token: enter it in the Token field above. (' + err.message + ')';
  return err && err.message ? err.message : String(err);
}

function fail(m, err) {
  m.appendChild(errorBox(explain(err)));
}

function section(title, ...content) {
  return h('section', null, h('h2', null, title), content);
}

// ---- projects -----------------------------------------------------------------------------------------------
async function pageProjects() {
  const { m } = newPage('Projects', h('span', null, 'Projects'));
  try {
    const d = await api.get('/api/v1/projects');
    const rows = (d.projects || []).map((p) => h('tr', null,
      h('th', { scope: 'row' }, p.name || p.id, p.description ? h('div', { class: 'muted' }, p.description) : null),
      h('td', null, (p.domains || []).map((dm) => [link(route('p', p.id, dm.id), dm.name || dm.id), ' ']))));
    m.appendChild(table(['Project', 'Domains'], rows));
    if (!rows.length) m.appendChild(h('p', { class: 'muted' }, 'No projects yet: register specs, or start serve with --repo.'));
  } catch (e) {
    fail(m, e);
  }
}

// ---- a project's entities ----------------------------------------------------------------------------------
const KINDS = {
  workflow: { title: 'Workflows', ids: 'workflow_ids', list: 'workflows', key: 'workflows', rt: 'WORKFLOW' },
  task: { title: 'Tasks', ids: 'task_ids', list: 'tasks', key: 'tasks', rt: 'TASK' },
  launchplan: { title: 'Launch plans', ids: 'launch_plan_ids', list: 'launch_plans', key: 'launchPlans', rt: 'LAUNCH_PLAN' },
};

async function pageProject(p, d) {
  const { m } = newPage(p + ' / ' + d, link('#/', 'Projects'), h('span', null, p + ' / ' + d));
  m.appendChild(h('p', null, link(route('p', p, d, 'executions'), 'Executions →')));
  const grid = h('div', { class: 'columns' });
  m.appendChild(grid);
  for (const [kind, k] of Object.entries(KINDS)) {
    const col = h('section', null, h('h2', null, k.title));
    grid.appendChild(col);
    try {
      const [res, named] = await Promise.all([
        api.get(api.path('api', 'v1', k.ids, p, d) + api.query({ limit: 1000, 'sort_by.key': 'name', 'sort_by.direction': 'ASCENDING' })),
        api.get(api.path('api', 'v1', 'named_entities', k.rt, p, d) + api.query({ limit: 1000 })).catch(() => ({}))]);
      const list = res.entities || [];
      const descs = {};
      for (const ne of named.entities || []) if (ne.metadata && ne.metadata.description) descs[ne.id.name] = ne.metadata.description;
      col.appendChild(list.length
        ? h('ul', { class: 'plain' }, list.map((e) => h('li', { 'data-name': e.name }, link(route('p', p, d, kind, e.name), e.name),
          descs[e.name] ? h('span', { class: 'muted entity-description' }, ' — ', descs[e.name]) : null)))
        : h('p', { class: 'muted' }, 'none'));
    } catch (e) {
      col.appendChild(errorBox(explain(e)));
    }
  }
}

function interfaceTable(vars, params) {
  const names = Object.keys(vars || params || {}).sort();
  if (!names.length) return h('p', { class: 'muted' }, 'none');
  return table(['Name', 'Type', 'Default', 'Description'], names.map((n) => {
    const v = vars ? vars[n] : params[n].var;
    const dflt = params && params[n] ? params[n]['default'] : null;
    return h('tr', null, h('th', { scope: 'row' }, n), h('td', { class: 'type' }, typeName(v.type)),
      h('td', null, dflt ? renderLit(dflt) : (params && params[n] && params[n].required ? h('span', { class: 'muted' }, 'required') : '')),
      h('td', null, v.description || ''));
  }), { class: 'iface' });
}

async function namedDescription(kind, p, d, name) {
  try {
    const ne = await api.get(api.path('api', 'v1', 'named_entities', KINDS[kind].rt, p, d, name));
    return (ne.metadata && ne.metadata.description) || '';
  } catch (e) {
    return '';
  }
}

// The repository file an entity version came from: the admin keeps it (the lists filter on `source`) but the
// entity messages have no field for it, so ask file by file; only for repositories of at most SOURCE_SCAN_MAX
// files, to keep a page view cheap.
const SOURCE_SCAN_MAX = 50;

async function repositoryFiles() {
  try {
    return ((await api.get('/api/v1/repository/status')).files || []).filter((f) => !f.deleted).map((f) => f.path);
  } catch (e) {
    return null;
  }
}

async function sourceOf(kind, p, d, name, version) {
  const files = await repositoryFiles();
  if (!files || files.length > SOURCE_SCAN_MAX) return null;
  for (const f of files) {
    const res = await api.get(api.path('api', 'v1', KINDS[kind].list, p, d, name) +
      api.query({ filters: `eq(source,${f})+eq(version,${version})`, limit: 1 }));
    if ((res[KINDS[kind].key] || []).length) return f;
  }
  return null;
}

// What a file registered that is still there: the newest version of each name whose source is the file, in every
// project and domain (for a failing file, the last good versions that stay active).
async function registeredFrom(file) {
  const out = [];
  const projects = (await api.get('/api/v1/projects')).projects || [];
  for (const pr of projects) {
    for (const dm of pr.domains || []) {
      for (const [kind, k] of Object.entries(KINDS)) {
        const res = await api.get(api.path('api', 'v1', k.list, pr.id, dm.id) +
          api.query({ filters: `eq(source,${file})`, limit: 100, 'sort_by.key': 'created_at', 'sort_by.direction': 'DESCENDING' }));
        const seen = new Set();
        for (const e of res[k.key] || []) {
          if (seen.has(e.id.name)) continue;
          seen.add(e.id.name);
          out.push({ kind, p: pr.id, d: dm.id, name: e.id.name, version: e.id.version, state: e.closure && e.closure.state });
        }
      }
    }
  }
  return out;
}

async function pageEntity(p, d, kind, name, version) {
  const k = KINDS[kind];
  if (!k) return pageNotFound();
  const { m, signal } = newPage(name, link('#/', 'Projects'), link(route('p', p, d), p + ' / ' + d), h('span', null, k.title));
  m.firstChild.nextSibling.appendChild(h('span', { class: 'kind' }, kind === 'launchplan' ? 'launch plan' : kind));
  let versions;
  try {
    const res = await api.get(api.path('api', 'v1', k.list, p, d, name) + api.query({ limit: 50, 'sort_by.key': 'created_at', 'sort_by.direction': 'DESCENDING' }));
    versions = res[k.key] || [];
  } catch (e) {
    return fail(m, e);
  }
  if (!versions.length) return m.appendChild(h('p', null, 'No versions registered.'));
  const desc = await namedDescription(kind, p, d, name);
  if (desc) m.appendChild(h('p', { class: 'description' }, desc));
  let cur = versions.find((v) => v.id.version === version);
  if (!cur && version) {
    try {
      cur = await api.get(api.path('api', 'v1', k.list, p, d, name, version));
    } catch (e) {
      return fail(m, e);
    }
  }
  cur = cur || versions[0];
  // the description this version was registered with (a spec's `description:`), when it is not the one above
  if (kind !== 'launchplan') {
    try {
      // the list (always 200) rather than the version's GET (a 404 for a version without one)
      const list = (await api.get(api.path('api', 'v1', 'description_entities', k.rt, p, d, name))).descriptionEntities || [];
      const de = list.find((x) => x.id && x.id.version === cur.id.version) || {};
      if (de.shortDescription && de.shortDescription !== desc) {
        m.appendChild(h('p', { class: 'description version-description' }, h('span', { class: 'muted' }, 'This version: '), de.shortDescription));
      }
    } catch (e) {
      void e; // 404: this version was registered without one
    }
  }
  const vsel = h('select', { id: 'version', 'aria-label': 'Version', onchange: (e) => { location.hash = route('p', p, d, kind, name, e.target.value); } },
    versions.map((v) => h('option', { value: v.id.version, selected: v.id.version === cur.id.version }, v.id.version + '  ' + ((v.closure && v.closure.createdAt) || '').slice(0, 19).replace('T', ' '))));
  m.appendChild(h('p', null, h('label', { for: 'version' }, 'Version '), vsel, ' ', h('span', { class: 'muted' }, versions.length + ' version(s), newest first')));
  const src = h('p', { id: 'source', class: 'muted' });
  m.appendChild(src);
  sourceOf(kind, p, d, name, cur.id.version).then((f) => {
    if (f) append(src, ['From ', link('#/repository', f), ' in the watched repository']);
  }, () => {});
  if (kind === 'workflow') return showWorkflow(m, p, d, cur);
  if (kind === 'task') return showTask(m, cur);
  return showLaunchPlan(m, p, d, cur, signal);
}

function showWorkflow(m, p, d, wf) {
  const cw = wf.closure.compiledWorkflow;
  const tmpl = cw.primary.template;
  m.appendChild(h('p', null, 'Registered ', time(wf.closure.createdAt), ' · ',
    link(route('p', p, d, 'executions') + '?workflow=' + encodeURIComponent(wf.id.name), 'executions of this workflow')));
  m.appendChild(section('Inputs', interfaceTable(tmpl.interface && tmpl.interface.inputs && tmpl.interface.inputs.variables)));
  m.appendChild(section('Outputs', interfaceTable(tmpl.interface && tmpl.interface.outputs && tmpl.interface.outputs.variables)));
  m.appendChild(section('Graph', dag.render(cw.primary).el));
  for (const sub of cw.subWorkflows || []) {
    m.appendChild(section('Subworkflow ' + sub.template.id.name, dag.render(sub).el));
  }
}

function showTask(m, t) {
  const tmpl = t.closure.compiledTask.template;
  const iface = tmpl.interface || {};
  m.appendChild(h('p', null, 'Type ', h('code', null, tmpl.type || ''), ' · registered ', time(t.closure.createdAt)));
  m.appendChild(section('Inputs', interfaceTable(iface.inputs && iface.inputs.variables)));
  m.appendChild(section('Outputs', interfaceTable(iface.outputs && iface.outputs.variables)));
  if (tmpl.container) {
    m.appendChild(section('Container', h('p', null, 'Image ', h('code', null, tmpl.container.image || '')),
      h('pre', { class: 'code' }, [...(tmpl.container.command || []), ...(tmpl.container.args || [])].join('\n'))));
  }
  if (tmpl.metadata && Object.keys(tmpl.metadata).length) {
    m.appendChild(section('Metadata', h('pre', { class: 'code' }, JSON.stringify(tmpl.metadata, null, 2))));
  }
}

function showLaunchPlan(m, p, d, lp, signal) {
  const spec = lp.spec || {};
  const wid = spec.workflowId || {};
  m.appendChild(h('p', null, 'Workflow ', link(route('p', p, d, 'workflow', wid.name, wid.version), wid.name + '@' + wid.version),
    ' · state ', h('strong', null, (lp.closure && lp.closure.state) || 'INACTIVE'),
    spec.entityMetadata && spec.entityMetadata.schedule ? [' · schedule ', h('code', null, JSON.stringify(spec.entityMetadata.schedule))] : null));
  const params = (lp.closure && lp.closure.expectedInputs && lp.closure.expectedInputs.parameters) || {};
  m.appendChild(section('Inputs', interfaceTable(null, params)));
  m.appendChild(section('Fixed inputs', literalTable(spec.fixedInputs)));
  m.appendChild(section('Launch', launchForm(p, d, lp, params, signal)));
}

// ---- the launch form, generated from the launch plan's typed inputs ---------------------------------------------
function launchForm(p, d, lp, params, signal) {
  const fields = [];
  const form = h('form', { class: 'launch', novalidate: true });
  for (const name of Object.keys(params).sort()) {
    const prm = params[name];
    const t = prm.var.type;
    const id = 'in-' + name;
    const dflt = prm['default'] ? plain(prm['default']) : undefined;
    let input;
    if (t.simple === 'BOOLEAN') {
      input = h('select', { id, name },
        h('option', { value: '' }, dflt === undefined ? '(choose)' : '(default: ' + dflt + ')'),
        h('option', { value: 'true', selected: dflt === true }, 'true'), h('option', { value: 'false', selected: dflt === false }, 'false'));
    } else if (t.enumType) {
      input = h('select', { id, name }, (t.enumType.values || []).map((v) => h('option', { value: v, selected: v === dflt }, v)));
    } else if (isJsonInput(t)) {
      input = h('textarea', { id, name, rows: 3, placeholder: 'JSON', value: dflt !== undefined ? JSON.stringify(dflt) : '' });
    } else {
      input = h('input', { id, name, type: 'text', value: dflt !== undefined && dflt !== null ? String(dflt) : '', placeholder: typeName(t) });
    }
    const msg = h('span', { class: 'field-error', id: id + '-err', 'aria-live': 'polite' });
    input.setAttribute('aria-describedby', id + '-err');
    fields.push({ name, t, input, msg, required: !!prm.required && !prm['default'] });
    form.appendChild(h('div', { class: 'field' },
      h('label', { for: id }, name, ' ', h('span', { class: 'type' }, typeName(t)), prm.required ? h('span', { class: 'req' }, ' *') : null),
      input, prm.var.description ? h('small', null, prm.var.description) : null, msg));
  }
  const execName = h('input', { id: 'exec-name', type: 'text', placeholder: '(generated)', pattern: '[a-z][a-z0-9-]{0,62}' });
  form.appendChild(h('div', { class: 'field' }, h('label', { for: 'exec-name' }, 'Execution name (optional)'), execName));
  const status = h('div', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  form.appendChild(h('button', { type: 'submit', id: 'launch-btn' }, 'Launch'));
  form.appendChild(status);
  const check = () => {
    const literals = {};
    let ok = true;
    for (const f of fields) {
      f.msg.textContent = '';
      f.input.removeAttribute('aria-invalid');
      const raw = f.input.value;
      if (raw === '') {
        if (f.required) {
          f.msg.textContent = 'required';
          f.input.setAttribute('aria-invalid', 'true');
          ok = false;
        }
        continue;
      }
      try {
        let v = raw;
        if (isJsonInput(f.t)) {
          try {
            v = JSON.parse(raw);
          } catch (e) {
            throw new InputError('not valid JSON: ' + e.message);
          }
        }
        literals[f.name] = fromPlain(f.t, v, f.name);
      } catch (e) {
        f.msg.textContent = e.message;
        f.input.setAttribute('aria-invalid', 'true');
        ok = false;
      }
    }
    return ok ? literals : null;
  };
  form.addEventListener('input', () => check());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const literals = check();
    if (!literals) {
      status.textContent = 'Fix the marked inputs first.';
      status.className = 'form-status bad';
      return;
    }
    const body = { project: p, domain: d, spec: { launchPlan: lp.id }, inputs: { literals } };
    if (execName.value) body.name = execName.value;
    status.textContent = 'Launching…';
    status.className = 'form-status';
    try {
      const res = await api.post('/api/v1/executions', body);
      location.hash = route('p', p, d, 'execution', res.id.name);
    } catch (err) {
      status.textContent = 'The admin refused: ' + explain(err);
      status.className = 'form-status bad';
    }
  });
  void signal;
  return form;
}

// ---- executions list ---------------------------------------------------------------------------------------
const PHASES = ['QUEUED', 'RUNNING', 'SUCCEEDING', 'SUCCEEDED', 'FAILING', 'FAILED', 'ABORTING', 'ABORTED', 'TIMED_OUT'];
const MODES = ['MANUAL', 'SCHEDULED', 'SYSTEM', 'RELAUNCH', 'CHILD_WORKFLOW', 'RECOVERED'];

function filtersOf(q) {
  const f = [];
  if (q.get('phase')) f.push(`eq(phase,${q.get('phase')})`);
  if (q.get('launchplan')) f.push(`eq(launch_plan.name,${q.get('launchplan')})`);
  if (q.get('workflow')) f.push(`eq(workflow.name,${q.get('workflow')})`);
  if (q.get('mode')) f.push(`eq(mode,${MODES.indexOf(q.get('mode'))})`);
  if (q.get('from')) f.push(`gte(created_at,${new Date(q.get('from')).toISOString()})`);
  if (q.get('to')) f.push(`lte(created_at,${new Date(q.get('to')).toISOString()})`);
  return f.join('+');
}

async function pageExecutions(p, d, q) {
  const { m, signal } = newPage('Executions', link('#/', 'Projects'), link(route('p', p, d), p + ' / ' + d), h('span', null, 'Executions'));
  const sel = (name, label, opts) => h('label', null, label, ' ', h('select', { name },
    h('option', { value: '' }, 'any'), opts.map((o) => h('option', { value: o, selected: q.get(name) === o }, o))));
  const txt = (name, label, type) => h('label', null, label, ' ', h('input', { name, type: type || 'text', value: q.get(name) || '' }));
  const form = h('form', { class: 'filters', 'aria-label': 'Filters' },
    sel('phase', 'Phase', PHASES), txt('launchplan', 'Launch plan'), txt('workflow', 'Workflow'), sel('mode', 'Mode', MODES),
    txt('from', 'From', 'datetime-local'), txt('to', 'To', 'datetime-local'), h('button', { type: 'submit' }, 'Filter'),
    h('a', { href: route('p', p, d, 'executions') }, 'Clear'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const nq = new URLSearchParams();
    for (const el of form.elements) if (el.name && el.value) nq.set(el.name, el.value);
    location.hash = route('p', p, d, 'executions') + '?' + nq.toString();
  });
  m.appendChild(form);
  const holder = h('div', { id: 'exec-list' });
  m.appendChild(holder);
  const tokens = (q.get('tokens') || '').split(',').filter(Boolean); // the tokens of the pages before this one
  const load = async () => {
    const t0 = performance.now();
    const res = await api.get(api.path('api', 'v1', 'executions', p, d) + api.query({
      limit: PAGE, token: q.get('token') || '', filters: filtersOf(q), 'sort_by.key': 'created_at', 'sort_by.direction': 'DESCENDING' }));
    const ms = Math.round(performance.now() - t0);
    const rows = (res.executions || []).map((x) => {
      const c = x.closure || {};
      const lp = (x.spec && x.spec.launchPlan) || {};
      return h('tr', { 'data-name': x.id.name },
        h('th', { scope: 'row' }, link(route('p', p, d, 'execution', x.id.name), x.id.name)),
        h('td', null, phaseBadge(c.phase)), h('td', null, lp.name || ''),
        h('td', null, (x.spec && x.spec.metadata && x.spec.metadata.mode) || 'MANUAL'),
        h('td', null, time(c.createdAt)), h('td', null, duration(c.duration, c.startedAt, TERMINAL.has(c.phase) ? c.updatedAt : null)));
    });
    const pager = h('p', { class: 'pager' });
    if (q.get('token')) {
      const back = new URLSearchParams(q);
      const prev = tokens.slice(0, -1);
      back.set('token', tokens.length ? tokens[tokens.length - 1] : '');
      if (!back.get('token')) back.delete('token');
      back.set('tokens', prev.join(','));
      pager.appendChild(link(route('p', p, d, 'executions') + '?' + back.toString(), '← Previous'));
      pager.appendChild(document.createTextNode(' '));
    }
    if (res.token) {
      const next = new URLSearchParams(q);
      next.set('token', res.token);
      next.set('tokens', [...tokens, q.get('token') || ''].join(','));
      pager.appendChild(link(route('p', p, d, 'executions') + '?' + next.toString(), 'Next →'));
    }
    pager.appendChild(h('span', { class: 'muted' }, ` ${rows.length} shown · answered in ${ms} ms`));
    clear(holder).appendChild(rows.length ? table(['Name', 'Phase', 'Launch plan', 'Mode', 'Created', 'Duration'], rows) : h('p', { class: 'muted' }, 'No executions match.'));
    holder.appendChild(pager);
  };
  try {
    await load();
  } catch (e) {
    return fail(m, e);
  }
  // live: the admin's change stream when it has one; otherwise refresh the first page every few seconds
  if (!q.get('token')) {
    followList(p, d, signal, () => load().catch(() => {}));
  }
}

function followList(p, d, signal, refresh) {
  let pending = false;
  api.stream(api.path('api', 'v1', 'watch', 'executions', p, d), (type) => {
    if (type !== 'changed' || pending) return;
    pending = true;
    setTimeout(() => { pending = false; refresh(); }, 200);
  }, signal).catch((e) => {
    if (signal.aborted) return;
    void e;
    every(signal, 3000, refresh);
  });
}

// ---- one execution -------------------------------------------------------------------------------------------
async function pageExecution(p, d, name) {
  const { m, signal } = newPage(name, link('#/', 'Projects'), link(route('p', p, d), p + ' / ' + d),
    link(route('p', p, d, 'executions'), 'Executions'));
  let ex;
  try {
    ex = await api.get(api.path('api', 'v1', 'executions', p, d, name));
  } catch (e) {
    return fail(m, e);
  }
  const head = h('div', { class: 'exec-head' });
  const actions = h('div', { class: 'actions' });
  const gates = h('div', { id: 'gates' });
  const graph = h('div', { id: 'graph' });
  const nodesBox = h('div', { id: 'nodes' });
  const moreNodes = h('p', { id: 'more-nodes' });
  const detail = h('div', { id: 'node-detail' });
  const io = h('div', { class: 'columns' });
  m.append(head, actions, gates, section('Inputs and outputs', io), section('Graph', graph), section('Nodes', nodesBox, moreNodes), detail);
  let picture = null;
  let lastNodes = [];
  let selected = null;
  let ioShown = false;

  let wfPromise = null;
  const workflowOf = (e) => {
    const wf = e.closure && e.closure.workflowId;
    if (!wf) return Promise.reject(new Error('the execution names no workflow yet'));
    if (!wfPromise) wfPromise = api.get(api.path('api', 'v1', 'workflows', p, d, wf.name, wf.version));
    return wfPromise;
  };

  // The workflow's outputs when the admin keeps them as a file (outputs.uri): each output binding names the node
  // output it comes from, and the nodes' data is inline. null when a binding is more than a node output or a
  // constant (then the page shows where the outputs are stored).
  const resolveOutputs = async (e) => {
    const tmpl = (await workflowOf(e)).closure.compiledWorkflow.primary.template;
    const byNode = {};
    const literals = {};
    for (const b of tmpl.outputs || []) {
      const bd = b.binding || {};
      if (bd.scalar) {
        literals[b['var']] = { scalar: bd.scalar };
        continue;
      }
      const pr = bd.promise;
      if (!pr || (pr.attrPath && pr.attrPath.length)) return null;
      if (!byNode[pr.nodeId]) byNode[pr.nodeId] = api.get(api.path('api', 'v1', 'data', 'node_executions', p, d, name, pr.nodeId));
      const out = (await byNode[pr.nodeId]).fullOutputs;
      const v = out && out.literals && out.literals[pr['var']];
      if (!v) return null;
      literals[b['var']] = v;
    }
    return { literals, vars: (tmpl.interface && tmpl.interface.outputs && tmpl.interface.outputs.variables) || {} };
  };

  const showIO = async (e) => {
    clear(io);
    try {
      const data = await api.get(api.path('api', 'v1', 'data', 'executions', p, d, name));
      const wf = await workflowOf(e).catch(() => null);
      const ivars = wf ? (wf.closure.compiledWorkflow.primary.template.interface.inputs || {}).variables : null;
      io.append(h('div', null, h('h3', null, 'Inputs'), literalTable(data.fullInputs, ivars)));
      const c = e.closure || {};
      let outs = data.fullOutputs ? { literals: data.fullOutputs.literals, vars: null } : null;
      if (!outs && c.phase === 'SUCCEEDED') outs = await resolveOutputs(e).catch(() => null);
      io.append(h('div', { id: 'outputs' }, h('h3', null, 'Outputs'),
        outs ? literalTable({ literals: outs.literals }, outs.vars)
          : c.outputs && c.outputs.uri ? h('p', null, 'Stored at ', h('code', null, c.outputs.uri))
          : h('p', { class: 'muted' }, TERMINAL.has(c.phase) ? 'none' : 'not yet')));
    } catch (err) {
      io.append(errorBox(explain(err)));
    }
  };

  const drawHead = (e) => {
    const c = e.closure || {};
    const lp = (e.spec && e.spec.launchPlan) || {};
    const wf = c.workflowId || {};
    append(clear(head), [
      h('p', { class: 'big' }, phaseBadge(c.phase), ' ', h('span', { id: 'exec-phase' }, c.phase || '')),
      h('dl', { class: 'facts' },
        h('dt', null, 'Launch plan'), h('dd', null, lp.name ? link(route('p', p, d, 'launchplan', lp.name, lp.version), lp.name) : '—'),
        h('dt', null, 'Workflow'), h('dd', null, wf.name ? link(route('p', p, d, 'workflow', wf.name, wf.version), wf.name) : '—'),
        h('dt', null, 'Mode'), h('dd', null, (e.spec.metadata && e.spec.metadata.mode) || 'MANUAL'),
        h('dt', null, 'Created'), h('dd', null, time(c.createdAt)),
        h('dt', null, 'Started'), h('dd', null, time(c.startedAt)),
        h('dt', null, 'Duration'), h('dd', null, TERMINAL.has(c.phase) ? duration(c.duration, c.startedAt, c.updatedAt) : duration(null, c.startedAt, null))),
      c.error ? h('div', { class: 'error' }, (c.error.kind ? c.error.kind + ': ' : '') + (c.error.code ? c.error.code + ': ' : ''), c.error.message || '') : null,
      c.abortMetadata ? h('div', { class: 'error' }, 'Aborted: ', c.abortMetadata.cause || '', c.abortMetadata.principal ? ' (by ' + c.abortMetadata.principal + ')' : '') : null]);
    // the buttons are drawn again only when what they offer changed: a live update must not replace a button
    // under the pointer or the keyboard focus
    const terminable = !TERMINAL.has(c.phase) && c.phase !== 'ABORTING';
    if (actions.getAttribute('data-terminable') === String(terminable)) return;
    actions.setAttribute('data-terminable', String(terminable));
    clear(actions);
    if (terminable) {
      actions.appendChild(h('button', { type: 'button', id: 'terminate', class: 'danger', onclick: async () => {
        if (!confirm('Terminate ' + name + '?')) return;
        try {
          await api.del(api.path('api', 'v1', 'executions', p, d, name), { cause: 'terminated from the console' });
          toast('Termination requested');
          refresh();
        } catch (err) {
          toast(explain(err), true);
        }
      } }, 'Terminate'));
    }
    actions.appendChild(h('button', { type: 'button', id: 'relaunch', onclick: async () => {
      try {
        const res = await api.post('/api/v1/executions/relaunch', { id: { project: p, domain: d, name } });
        location.hash = route('p', p, d, 'execution', res.id.name);
      } catch (err) {
        toast(explain(err), true);
      }
    } }, 'Relaunch'));
  };

  const drawGraph = async (e) => {
    const wf = (e.closure && e.closure.workflowId) || null;
    if (!wf || picture) return;
    try {
      const w = await workflowOf(e);
      if (picture) return;
      picture = dag.render(w.closure.compiledWorkflow.primary, (id) => selectNode(id));
      clear(graph).appendChild(picture.el);
      paint();
    } catch (err) {
      clear(graph).appendChild(errorBox(explain(err)));
    }
  };

  // Nested nodes (a subworkflow's nodes, a branch's case, an array's children) come in the same node list as the
  // top-level ones; which node is whose child is the API's parent/child relation: a node with metadata.isParentNode
  // lists its children with ?unique_parent_id. A parent is asked again when its phase changed or while a nested node
  // nobody claims yet is there (one request at a time; a parent asked in a terminal phase is final).
  const childrenOf = {};
  const askedAt = {};
  let learning = false;
  let learnAgain = false;
  const parentOf = () => {
    const up = {};
    for (const [par, kids] of Object.entries(childrenOf)) for (const k of kids) up[k] = par;
    return up;
  };
  const learnChildren = async () => {
    if (learning) {
      learnAgain = true;
      return;
    }
    learning = true;
    do {
      learnAgain = false;
      const top = new Set(picture ? picture.nodes.map((n) => n.id) : []);
      const up = parentOf();
      const unclaimed = lastNodes.some((n) => !top.has(n.id.nodeId) && !up[n.id.nodeId]);
      let changed = false;
      for (const n of lastNodes) {
        const id = n.id.nodeId;
        const phase = n.closure && n.closure.phase;
        if (!(n.metadata && n.metadata.isParentNode)) continue;
        if (askedAt[id] === phase && (TERMINAL.has(phase) || !unclaimed)) continue;
        try {
          const res = await api.get(api.path('api', 'v1', 'node_executions', p, d, name) + api.query({ unique_parent_id: id, limit: 10000 }));
          const kids = (res.nodeExecutions || []).map((c) => c.id.nodeId);
          if (String(kids) !== String(childrenOf[id] || [])) changed = true;
          childrenOf[id] = kids;
          askedAt[id] = phase;
        } catch (e) {
          askedAt[id] = phase;
        }
        if (signal.aborted) break;
      }
      if (changed) drawNodes(lastNodes, true);
    } while (learnAgain && !signal.aborted);
    learning = false;
  };

  const paint = () => {
    if (!picture) return;
    const phases = {};
    for (const n of lastNodes) phases[n.id.nodeId] = n.closure.phase;
    picture.setPhases(phases);
    for (const n of picture.nodes) {
      if (!childrenOf[n.id]) continue;
      const kids = [];
      const walk = (id, depth) => {
        for (const k of childrenOf[id] || []) {
          kids.push({ id: k, phase: phases[k], depth });
          if (depth < 16) walk(k, depth + 1);
        }
      };
      walk(n.id, 1);
      picture.setNested(n.id, kids);
    }
  };

  // the node table: nested nodes under their parent, indented
  const ordered = (list) => {
    const up = parentOf();
    const byId = new Map(list.map((n) => [n.id.nodeId, n]));
    const out = [];
    const seen = new Set();
    const put = (n, depth) => {
      if (seen.has(n.id.nodeId) || depth > 16) return;
      seen.add(n.id.nodeId);
      out.push({ n, depth });
      for (const k of childrenOf[n.id.nodeId] || []) if (byId.has(k)) put(byId.get(k), depth + 1);
    };
    for (const n of list) if (!up[n.id.nodeId] || !byId.has(up[n.id.nodeId])) put(n, 0);
    for (const n of list) put(n, 0);
    return out;
  };

  // The node table's nodes by id: a first page (the stream's `nodes` event or the list endpoint), the pages after it
  // asked through the list's token ("More nodes"), and the stream's `nodes-changed` merged in.
  let nodeMap = new Map();
  let nodesToken = '';
  let loadingMore = false;
  const mergeNodes = (list) => {
    for (const n of list) nodeMap.set(n.id.nodeId, n);
  };
  const firstNodes = (res) => {
    nodeMap = new Map();
    mergeNodes(res.nodeExecutions || []);
    nodesToken = res.token || '';
    drawNodes([...nodeMap.values()]);
  };
  const changedNodes = (res) => {
    mergeNodes(res.nodeExecutions || []);
    drawNodes([...nodeMap.values()]);
  };
  const loadMoreNodes = async () => {
    if (loadingMore || !nodesToken) return;
    loadingMore = true;
    try {
      const res = await api.get(api.path('api', 'v1', 'node_executions', p, d, name) + api.query({ limit: NODE_PAGE, token: nodesToken }));
      // a node the stream already changed is newer than the page: keep the stream's
      for (const n of res.nodeExecutions || []) if (!nodeMap.has(n.id.nodeId)) nodeMap.set(n.id.nodeId, n);
      nodesToken = res.token || '';
      drawNodes([...nodeMap.values()]);
    } catch (e) {
      toast(explain(e));
    } finally {
      loadingMore = false;
    }
  };
  const drawMore = () => {
    clear(moreNodes);
    if (nodesToken) {
      moreNodes.append(h('span', { class: 'muted' }, nodeMap.size + ' nodes shown, more to come. '),
        h('button', { type: 'button', id: 'more-nodes-button', onclick: loadMoreNodes }, 'More nodes'));
    }
  };

  const drawNodes = (list, relationsOnly) => {
    lastNodes = list;
    drawMore();
    paint();
    const up = parentOf();
    const rows = ordered(list).map(({ n, depth }) => {
      const c = n.closure || {};
      const md = c.taskNodeMetadata || {};
      const cache = md.cacheStatus ? md.cacheStatus.replace('CACHE_', '').toLowerCase() : '';
      return h('tr', { 'data-node': n.id.nodeId, 'data-parent': up[n.id.nodeId] || null, 'data-phase': c.phase || '',
        class: [selected === n.id.nodeId ? 'selected' : '', depth ? 'nested depth-' + Math.min(depth, 4) : ''].join(' ').trim() || null },
        h('th', { scope: 'row' }, h('button', { type: 'button', class: 'linkish', onclick: () => selectNode(n.id.nodeId) }, n.id.nodeId)),
        h('td', null, phaseBadge(c.phase)), h('td', null, time(c.startedAt)),
        h('td', null, duration(c.duration, c.startedAt, TERMINAL.has(c.phase) ? c.updatedAt : null)),
        h('td', { class: 'attempts' }, '—'), h('td', null, cache),
        h('td', null, c.error ? (c.error.kind || 'USER') + (c.error.code ? ' ' + c.error.code : '') : ''),
        h('td', { class: 'msg' }, c.error ? c.error.message || '' : ''));
    });
    clear(nodesBox).appendChild(rows.length ? table(['Node', 'Phase', 'Start', 'Duration', 'Attempts', 'Cache', 'Error', 'Message'], rows, { class: 'nodes-table' })
      : h('p', { class: 'muted' }, 'No node has started yet.'));
    fillAttempts(list);
    if (relationsOnly) return;
    learnChildren();
    if (ex) drawGates(ex);
    if (selected) showNode(selected, false);
  };

  // attempts per node, asked again only when a node's phase changed (a 500-node run must not cost 500 requests
  // per update), one request at a time, and one pass at a time
  const attemptsSeen = {};
  let filling = false;
  let fillAgain = null;
  const fillAttempts = async (list) => {
    if (filling) {
      fillAgain = list;
      return;
    }
    filling = true;
    for (const n of list) {
      const id = n.id.nodeId;
      const phase = n.closure && n.closure.phase;
      if (attemptsSeen[id] && attemptsSeen[id].phase === phase) {
        setAttempts(id, attemptsSeen[id].n);
        continue;
      }
      try {
        const te = await api.get(api.path('api', 'v1', 'task_executions', p, d, name, id));
        attemptsSeen[id] = { phase, n: (te.taskExecutions || []).length };
        setAttempts(id, attemptsSeen[id].n);
      } catch (e) {
        attemptsSeen[id] = { phase, n: 0 };
      }
    }
    filling = false;
    if (fillAgain) {
      const next = fillAgain;
      fillAgain = null;
      fillAttempts(next);
    }
  };
  const setAttempts = (id, n) => {
    const row = nodesBox.querySelector(`tr[data-node="${CSS.escape(id)}"] .attempts`);
    if (row) row.textContent = n ? String(n) : '—';
  };

  const selectNode = (id) => {
    selected = id;
    for (const tr of nodesBox.querySelectorAll('tr[data-node]')) tr.classList.toggle('selected', tr.getAttribute('data-node') === id);
    showNode(id, true);
  };

  // one node detail at a time: a redraw started while an earlier one still waits for the API wins
  let showing = 0;
  const showNode = async (id, scroll) => {
    const gen = ++showing;
    const box = clear(detail);
    box.appendChild(h('h2', null, 'Node ', id));
    const node = lastNodes.find((n) => n.id.nodeId === id);
    if (!node) {
      box.appendChild(h('p', { class: 'muted' }, 'This node has not run.'));
      return;
    }
    const c = node.closure || {};
    box.appendChild(h('p', null, phaseBadge(c.phase), ' started ', time(c.startedAt)));
    if (c.error) box.appendChild(h('pre', { class: 'error' }, c.error.message || ''));
    const cols = h('div', { class: 'columns' });
    box.appendChild(cols);
    try {
      const data = await api.get(api.path('api', 'v1', 'data', 'node_executions', p, d, name, id));
      if (gen !== showing) return;
      cols.append(h('div', null, h('h3', null, 'Inputs'), literalTable(data.fullInputs)),
        h('div', null, h('h3', null, 'Outputs'), literalTable(data.fullOutputs)));
    } catch (e) {
      cols.append(h('p', { class: 'muted' }, explain(e)));
    }
    try {
      const te = await api.get(api.path('api', 'v1', 'task_executions', p, d, name, id));
      if (gen !== showing) return;
      const attempts = te.taskExecutions || [];
      if (attempts.length) box.appendChild(h('h3', null, 'Attempts'));
      attempts.forEach((t, i) => {
        const tc = t.closure || {};
        const attempt = t.id.retryAttempt || i;
        box.appendChild(h('div', { class: 'attempt' },
          h('p', null, 'Attempt ', String(attempt), ' ', phaseBadge(tc.phase), ' ', tc.taskType || '', ' · ', duration(tc.duration, tc.startedAt),
            tc.reason ? [' · ', tc.reason] : null),
          (tc.logs || []).length ? h('p', { class: 'muted' }, 'Log files: ', (tc.logs || []).map((l) => (l.name || '') + ' ' + (l.uri || '')).join(', ')) : null,
          h('button', { type: 'button', class: 'show-log', onclick: (e) => showLog(e.target.parentNode, id, attempt) }, 'Show log')));
        // a log opened before this redraw goes on where it was (and keeps following)
        if (logViews.has(id + '/' + attempt)) box.lastChild.appendChild(logViews.get(id + '/' + attempt).el);
      });
    } catch (e) {
      void e;
    }
    if (scroll) box.scrollIntoView({ block: 'nearest' });
  };

  // A log view stays with its node and attempt while the node table redraws (the live updates redraw the node's
  // detail), so a followed log keeps growing in place: views by "node/attempt".
  const logViews = new Map();
  const showLog = (where, nodeId, attempt) => {
    const key = nodeId + '/' + attempt;
    let v = logViews.get(key);
    if (v) {
      where.appendChild(v.el);
      if (!v.busy && !v.complete && !v.cut) followLog(v, nodeId, attempt);
      return;
    }
    const pre = h('pre', { class: 'log', tabindex: '0', 'aria-label': 'Task log', 'data-state': 'loading' });
    v = { el: h('div', { class: 'log-view' }, pre), pre, offset: 0, shown: 0, busy: false, complete: false, cut: false, requests: 0 };
    logViews.set(key, v);
    where.appendChild(v.el);
    followLog(v, nodeId, attempt);
  };

  // Reads the log from where the view stopped and, while the attempt runs, follows it: each request with follow=1
  // waits at the admin for the next bytes (or the end), the bytes are appended, and the next request starts at
  // X-Log-Next-Offset, until X-Log-Complete: true. At most LOG_CAP bytes are shown; past that "Load more" reads the
  // next LOG_CAP on request. Leaving the page stops it.
  const followLog = async (v, nodeId, attempt) => {
    v.busy = true;
    const old = v.el.querySelector('.log-more');
    if (old) old.remove();
    v.pre.setAttribute('data-state', 'following');
    try {
      for (;;) {
        const room = LOG_CAP - v.shown;
        const r = await api.text(api.path('api', 'v1', 'logs', p, d, name, nodeId) +
          api.query({ attempt, offset: v.offset, limit: Math.max(room, 1), follow: 1 }), room, signal);
        v.requests++;
        if (!v.offset && !v.shown) v.pre.textContent = '';
        if (r.text) {
          const empty = v.pre.querySelector('.log-empty');
          if (empty) empty.remove();
          v.pre.appendChild(document.createTextNode(r.text));
        }
        const bytes = new TextEncoder().encode(r.text).length;
        v.offset = Number(r.headers.get('X-Log-Next-Offset') || v.offset + bytes);
        v.shown += bytes;
        v.complete = r.headers.get('X-Log-Complete') === 'true';
        v.cut = r.cut || (v.shown >= LOG_CAP && !v.complete);
        if (!v.pre.textContent) v.pre.appendChild(h('span', { class: 'log-empty muted' }, v.complete ? '(empty)' : '(nothing yet)'));
        if (v.complete || v.cut || signal.aborted) break;
      }
      v.pre.setAttribute('data-state', v.complete ? 'complete' : 'cut');
      if (v.cut) {
        v.el.appendChild(h('button', { type: 'button', class: 'log-more', onclick: () => {
          v.shown = 0;
          v.pre.textContent = '';
          v.cut = false;
          followLog(v, nodeId, attempt);
        } }, 'Load more'));
      }
    } catch (e) {
      if (!signal.aborted) {
        v.pre.setAttribute('data-state', 'error');
        v.pre.textContent = e.status === 404 ? 'logs unavailable (' + explain(e) + ')' : explain(e);
        v.complete = true;
      }
    }
    v.busy = false;
  };

  // the gates waiting for a person; redrawn only when the set of waiting signals changed, so a value being typed
  // survives the live updates
  let gatesKey = '';
  const drawGates = async (e) => {
    let waiting = [];
    if (!TERMINAL.has(e.closure && e.closure.phase)) {
      try {
        waiting = ((await api.get(api.path('api', 'v1', 'signals', p, d, name))).signals || []).filter((sg) => !sg.value);
      } catch (err) {
        return;
      }
    }
    const key = waiting.map((sg) => sg.id.signalId).join('\n');
    if (key === gatesKey) return;
    gatesKey = key;
    clear(gates);
    if (!waiting.length) return;
    gates.appendChild(h('h2', null, 'Waiting for'));
    for (const sg of waiting) {
      const sid = sg.id.signalId;
      const set = async (lit) => {
        try {
          await api.post('/api/v1/signals', { id: { executionId: { project: p, domain: d, name }, signalId: sid }, value: lit });
          toast('Signal ' + sid + ' set');
          drawGates(ex);
        } catch (err) {
          toast(explain(err), true);
        }
      };
      const t = sg.type || {};
      if (t.simple === 'BOOLEAN') {
        gates.appendChild(h('div', { class: 'gate', 'data-signal': sid }, h('strong', null, sid), ' ',
          h('button', { type: 'button', class: 'approve', onclick: () => set({ scalar: { primitive: { boolean: true } } }) }, 'Approve'), ' ',
          h('button', { type: 'button', class: 'reject danger', onclick: () => set({ scalar: { primitive: { boolean: false } } }) }, 'Reject')));
      } else {
        const inp = h('input', { type: 'text', 'aria-label': 'value of ' + sid, placeholder: typeName(t) });
        const err = h('span', { class: 'field-error' });
        const f = h('form', { class: 'gate', 'data-signal': sid }, h('strong', null, sid), ' ', h('span', { class: 'type' }, typeName(t)), ' ', inp, ' ',
          h('button', { type: 'submit' }, 'Set signal'), err);
        f.addEventListener('submit', (ev) => {
          ev.preventDefault();
          try {
            err.textContent = '';
            set(fromPlain(t, isJsonInput(t) ? JSON.parse(inp.value) : inp.value, sid));
          } catch (x) {
            err.textContent = x.message;
          }
        });
        gates.appendChild(f);
      }
    }
  };

  let lastPhase = null;
  const onExecution = (e) => {
    ex = e;
    drawHead(e);
    drawGraph(e);
    const phase = e.closure && e.closure.phase;
    if (!ioShown || (phase !== lastPhase && TERMINAL.has(phase))) {
      ioShown = true;
      showIO(e);
    }
    if (phase !== lastPhase) drawGates(e);
    lastPhase = phase;
  };
  const refresh = async () => {
    try {
      onExecution(await api.get(api.path('api', 'v1', 'executions', p, d, name)));
      // the first page again; pages already loaded stay (and are refreshed when a later event names them)
      const res = await api.get(api.path('api', 'v1', 'node_executions', p, d, name) + api.query({ limit: NODE_PAGE }));
      mergeNodes(res.nodeExecutions || []);
      if (nodeMap.size <= NODE_PAGE) nodesToken = res.token || '';
      drawNodes([...nodeMap.values()]);
    } catch (err) {
      void err;
    }
  };
  onExecution(ex);
  try {
    firstNodes(await api.get(api.path('api', 'v1', 'node_executions', p, d, name) + api.query({ limit: NODE_PAGE })));
  } catch (e) {
    nodesBox.appendChild(errorBox(explain(e)));
  }
  if (TERMINAL.has(ex.closure.phase)) return;
  // live: the admin's watch stream (fetch + reader, so the token travels in a header); polling where it has none.
  // How the updates arrive is kept on #live (data-via="stream" or "poll", data-events: stream events drawn,
  // data-polls: polling rounds), for the reader and for the browser test.
  const live = h('p', { class: 'muted', id: 'live', 'data-via': 'stream', 'data-events': '0', 'data-polls': '0' }, 'live');
  head.after(live);
  const count = (attr) => live.setAttribute(attr, String(Number(live.getAttribute(attr)) + 1));
  api.stream(api.path('api', 'v1', 'watch', 'executions', p, d, name), (type, data) => {
    try {
      if (type === 'execution') onExecution(JSON.parse(data));
      else if (type === 'nodes') firstNodes(JSON.parse(data));
      else if (type === 'nodes-changed') changedNodes(JSON.parse(data));
      else return;
      count('data-events');
    } catch (e) {
      void e;
    }
  }, signal).then(() => {
    live.textContent = '';
    live.setAttribute('data-ended', '1');
    refresh();
  }, () => {
    if (signal.aborted) return;
    live.textContent = 'live (polling)';
    live.setAttribute('data-via', 'poll');
    every(signal, POLL_MS, () => {
      if (ex && TERMINAL.has(ex.closure.phase)) {
        live.textContent = '';
        return;
      }
      count('data-polls');
      refresh();
    });
  });
}

// ---- the watched repository ---------------------------------------------------------------------------------------
async function pageRepository() {
  const { m, signal } = newPage('Repository', link('#/', 'Projects'), h('span', null, 'Repository'));
  const holder = h('div', { id: 'repo' });
  m.appendChild(holder);
  let last = '';
  const load = async () => {
    const res = await api.get('/api/v1/repository/status');
    const key = JSON.stringify(res);
    if (key === last) return;
    last = key;
    const files = res.files || [];
    const bad = files.filter((f) => !f.ok && !f.deleted);
    const summary = h('p', null, `${files.length} file(s), `, h('strong', { class: bad.length ? 'bad' : 'good' }, `${bad.length} failing`),
      bad.length ? ' — the last good versions of their workflows, tasks and launch plans stay registered and active.' : '');
    const rows = files.map((f) => h('tr', { 'data-path': f.path, class: f.ok ? null : 'failed' },
      h('th', { scope: 'row' }, f.path), h('td', null, f.deleted ? 'deleted' : f.ok ? h('span', { class: 'good' }, 'ok') : h('span', { class: 'bad' }, 'failed')),
      h('td', null, String(f.errors || 0)), h('td', null, String(f.warnings || 0)), h('td', null, time(f.updatedAt))));
    clear(holder).append(summary, table(['File', 'Status', 'Errors', 'Warnings', 'Updated'], rows));
    let failing = 0;
    for (const f of files) {
      if (!f.diagnostics) continue;
      const still = h('div', { class: 'still-active' });
      holder.appendChild(h('section', { class: 'diag', 'data-path': f.path }, h('h2', null, f.path),
        h('pre', { class: 'diagnostics', tabindex: '0' }, f.diagnostics), still));
      if (f.ok || f.deleted || ++failing > 5) continue;
      registeredFrom(f.path).then((list) => {
        if (!list.length) {
          still.appendChild(h('p', { class: 'muted' }, 'Nothing from this file was registered before: nothing of it is active.'));
          return;
        }
        still.appendChild(h('p', null, 'Still registered from this file (its last good versions, in use until it compiles again):'));
        still.appendChild(h('ul', null, list.map((e) => h('li', null, (e.kind === 'launchplan' ? 'launch plan' : e.kind) + ' ',
          link(route('p', e.p, e.d, e.kind, e.name, e.version), e.p + '/' + e.d + '/' + e.name + '@' + e.version),
          e.kind === 'launchplan' ? ' (' + (e.state || 'INACTIVE').toLowerCase() + ')' : ''))));
      }, () => {});
    }
  };
  try {
    await load();
  } catch (e) {
    return fail(m, e);
  }
  every(signal, 1500, () => load().catch(() => {}));
}

// ---- schedules ------------------------------------------------------------------------------------------------
function zoneOf(expr) {
  const mm = /^CRON_TZ=(\S+)/.exec(expr || '');
  return mm ? mm[1] : 'UTC';
}

function inZone(iso, tz) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  let txt;
  try {
    txt = new Date(iso).toLocaleString(undefined, { timeZone: tz, dateStyle: 'medium', timeStyle: 'short' }) + ' ' + tz;
  } catch (e) {
    txt = iso;
  }
  return h('time', { datetime: iso, title: iso + ' (UTC)' }, txt);
}

async function pageSchedules() {
  const { m } = newPage('Schedules', link('#/', 'Projects'), h('span', null, 'Schedules'));
  try {
    const res = await api.get('/api/v1/schedules');
    const rows = (res.schedules || []).map((sc) => {
      const tz = zoneOf(sc.expression);
      return h('tr', { class: sc.failing ? 'failed' : null },
        h('th', { scope: 'row' }, link(route('p', sc.project, sc.domain, 'launchplan', sc.name, sc.version), sc.project + '/' + sc.domain + '/' + sc.name)),
        h('td', null, h('code', null, sc.expression || '')),
        h('td', null, h('ol', { class: 'plain' }, (sc.nextFires || []).map((f) => h('li', null, inZone(f.firesAt || f.slot, tz))))),
        h('td', null, inZone(sc.lastSlot, tz)),
        h('td', null, `${sc.fired || 0} fired, ${sc.skipped || 0} skipped, ${sc.missed || 0} missed`),
        h('td', null, sc.paused ? 'paused' + (sc.pauseNote ? ': ' + sc.pauseNote : '') : sc.failing ? h('span', { class: 'bad' }, 'failing: ' + (sc.error || '')) : h('span', { class: 'good' }, 'ok')));
    });
    m.appendChild(rows.length ? table(['Launch plan', 'Expression', 'Next fires (its zone)', 'Last slot', 'Counts', 'State'], rows)
      : h('p', { class: 'muted' }, 'No active scheduled launch plan.'));
  } catch (e) {
    if (e.status === 404) m.appendChild(h('p', { class: 'muted' }, 'The scheduler is not running (serve --no-scheduler).'));
    else fail(m, e);
  }
}

function pageNotFound() {
  const { m } = newPage('Not found', link('#/', 'Projects'));
  m.appendChild(h('p', null, 'No such page.'));
}

// ---- routing ----------------------------------------------------------------------------------------------------
function dispatch() {
  const hash = location.hash.replace(/^#\/?/, '');
  const qi = hash.indexOf('?');
  const parts = (qi < 0 ? hash : hash.slice(0, qi)).split('/').filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(qi < 0 ? '' : hash.slice(qi + 1));
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('current', a.getAttribute('href') === '#/' + (parts[0] || ''));
  if (!parts.length) return pageProjects();
  if (parts[0] === 'repository') return pageRepository();
  if (parts[0] === 'schedules') return pageSchedules();
  if (parts[0] === 'p' && parts.length === 3) return pageProject(parts[1], parts[2]);
  if (parts[0] === 'p' && parts[3] === 'executions' && parts.length === 4) return pageExecutions(parts[1], parts[2], q);
  if (parts[0] === 'p' && parts[3] === 'execution' && parts.length === 5) return pageExecution(parts[1], parts[2], parts[4]);
  if (parts[0] === 'p' && parts.length >= 5) return pageEntity(parts[1], parts[2], parts[3], parts[4], parts[5]);
  return pageNotFound();
}

function setupToken() {
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  const state = document.getElementById('token-state');
  const show = () => { state.textContent = api.token() ? 'set for this tab' : 'none'; };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    api.setToken(input.value.trim());
    input.value = '';
    show();
    dispatch();
  });
  show();
}

setupToken();
window.addEventListener('hashchange', dispatch);
dispatch();
