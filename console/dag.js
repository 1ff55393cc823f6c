// dag.js: a workflow's compiled DAG as an SVG picture, laid out in layers (left to right) by the console itself:
// longest-path layers, then a few barycenter sweeps to order each layer, which reads well for 5 nodes and stays
// fast for 500. Pan by dragging or with the arrow keys, zoom with the wheel or +/-, 0 fits the picture.
import { h, s } from './dom.js';

const NODE_W = 220;
const MAX_W = 420;
const CHAR_W = 7; // px of one character at the labels' font size
const LINE_H = 16;
const GAP_X = 60;
const GAP_Y = 18;
const CHIP = 10; // px of one nested node's square in its parent's box (subworkflow, branch, array)
const CHIP_GAP = 3;
const CHIP_ROW = CHIP + 6;
const NESTS = new Set(['subworkflow', 'branch', 'array']);

// a box's height: its label's lines, and a row for the nested nodes' squares when the node has nested nodes
function boxHeight(n) {
  return n.lines.length * LINE_H + 14 + (NESTS.has(n.kind) ? CHIP_ROW : 0);
}

function kindOf(n) {
  if (n.id === 'start-node') return 'start';
  if (n.id === 'end-node') return 'end';
  if (n.taskNode) return 'task';
  if (n.branchNode) return 'branch';
  if (n.gateNode) return 'gate';
  if (n.arrayNode) return 'array';
  if (n.workflowNode) return n.workflowNode.launchplanRef ? 'launchplan' : 'subworkflow';
  return 'node';
}

function refName(id) {
  return id ? id.name : '';
}

function condText(c) {
  if (!c) return '?';
  if (c.comparison) {
    // an operand names a node's output ("best.accuracy") or, with a leading dot, a workflow input
    const o = (x) => (x ? (x.var ? (x.var.startsWith('.') ? 'inputs' + x.var : x.var) : x.primitive ? JSON.stringify(Object.values(x.primitive)[0]) : '?') : '?');
    const ops = { EQ: '==', NEQ: '!=', GT: '>', GTE: '>=', LT: '<', LTE: '<=' };
    return o(c.comparison.leftValue) + ' ' + (ops[c.comparison.operator || 'EQ'] || '?') + ' ' + o(c.comparison.rightValue);
  }
  if (c.conjunction) {
    return '(' + condText(c.conjunction.leftExpression) + (c.conjunction.operator === 'OR' ? ' or ' : ' and ') +
      condText(c.conjunction.rightExpression) + ')';
  }
  return '?';
}

function targetText(n) {
  if (!n) return '?';
  if (n.taskNode) return refName(n.taskNode.referenceId);
  if (n.workflowNode) return refName(n.workflowNode.subWorkflowRef || n.workflowNode.launchplanRef);
  return n.id;
}

// The lines shown in a node's box: its id, then what it runs.
function labelLines(n, kind) {
  const lines = [n.id];
  if (n.metadata && n.metadata.name && n.metadata.name !== n.id && kind !== 'task') lines.push(n.metadata.name);
  switch (kind) {
  case 'task': lines.push('task ' + refName(n.taskNode.referenceId)); break;
  case 'subworkflow': lines.push('subworkflow ' + refName(n.workflowNode.subWorkflowRef)); break;
  case 'launchplan': lines.push('launch plan ' + refName(n.workflowNode.launchplanRef)); break;
  case 'gate': {
    const g = n.gateNode;
    if (g.approve) lines.push('approve ' + g.approve.signalId);
    else if (g.signal) lines.push('signal ' + g.signal.signalId);
    else if (g.sleep) lines.push('sleep ' + (g.sleep.duration || ''));
    else lines.push('gate');
    break;
  }
  case 'array': lines.push('array of ' + targetText(n.arrayNode.node)); break;
  case 'branch': {
    const ie = n.branchNode.ifElse || {};
    if (ie['case']) lines.push('if ' + condText(ie['case'].condition) + ' → ' + targetText(ie['case'].thenNode));
    for (const c of ie.other || []) lines.push('elif ' + condText(c.condition) + ' → ' + targetText(c.thenNode));
    if (ie.elseNode) lines.push('else → ' + targetText(ie.elseNode));
    else if (ie.error) lines.push('else → error');
    break;
  }
  default: break;
  }
  return lines;
}

// Nodes and edges of a compiled workflow (CompiledWorkflow: template + connections).
export function graphOf(compiled) {
  const tmpl = compiled.template || {};
  const nodes = (tmpl.nodes || []).map((n) => {
    const kind = kindOf(n);
    return { id: n.id, kind, lines: labelLines(n, kind) };
  });
  const ids = new Set(nodes.map((n) => n.id));
  for (const extra of ['start-node', 'end-node']) {
    if (!ids.has(extra)) {
      nodes.push({ id: extra, kind: extra === 'start-node' ? 'start' : 'end', lines: [extra === 'start-node' ? 'start' : 'end'] });
      ids.add(extra);
    }
  }
  const edges = [];
  const down = (compiled.connections && compiled.connections.downstream) || {};
  for (const [from, list] of Object.entries(down)) {
    for (const to of (list && list.ids) || []) if (ids.has(from) && ids.has(to)) edges.push([from, to]);
  }
  return { nodes, edges };
}

// Layers and positions: fills x, y, w, hgt of every node; returns the picture's size.
export function layout(g) {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const preds = new Map(g.nodes.map((n) => [n.id, []]));
  const succs = new Map(g.nodes.map((n) => [n.id, []]));
  for (const [a, b] of g.edges) {
    succs.get(a).push(b);
    preds.get(b).push(a);
  }
  // longest path from the sources (Kahn's order; a cycle, which the compiler forbids, falls back to layer 0)
  const indeg = new Map(g.nodes.map((n) => [n.id, preds.get(n.id).length]));
  const queue = g.nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  const layer = new Map(g.nodes.map((n) => [n.id, 0]));
  for (let qi = 0; qi < queue.length; qi++) {
    const id = queue[qi];
    for (const t of succs.get(id)) {
      layer.set(t, Math.max(layer.get(t), layer.get(id) + 1));
      indeg.set(t, indeg.get(t) - 1);
      if (indeg.get(t) === 0) queue.push(t);
    }
  }
  // the end node in the last layer
  let maxLayer = 0;
  for (const v of layer.values()) maxLayer = Math.max(maxLayer, v);
  if (byId.has('end-node')) layer.set('end-node', Math.max(maxLayer, layer.get('end-node')));
  const layers = [];
  for (const n of g.nodes) {
    const l = layer.get(n.id);
    while (layers.length <= l) layers.push([]);
    layers[l].push(n.id);
  }
  // order inside layers: barycenter sweeps, down then up
  const pos = new Map();
  layers.forEach((ids) => ids.forEach((id, i) => pos.set(id, i)));
  const sweep = (ls, neigh) => {
    for (const ids of ls) {
      const bc = new Map(ids.map((id) => {
        const ns = neigh.get(id);
        return [id, ns.length ? ns.reduce((a, x) => a + pos.get(x), 0) / ns.length : pos.get(id)];
      }));
      ids.sort((a, b) => bc.get(a) - bc.get(b));
      ids.forEach((id, i) => pos.set(id, i));
    }
  };
  for (let it = 0; it < 4; it++) {
    sweep(layers.slice(1), preds);
    sweep(layers.slice(0, -1).reverse(), succs);
  }
  // coordinates: each layer a column, its nodes stacked and centred on the tallest column
  let width = 0;
  let height = 0;
  const colHeights = layers.map((ids) => ids.reduce((a, id) => a + boxHeight(byId.get(id)) + GAP_Y, -GAP_Y));
  const tallest = Math.max(0, ...colHeights);
  // a node is as wide as its longest line needs (a branch's cases), within MAX_W; a column as its widest node
  const colX = [];
  let x = 0;
  layers.forEach((ids) => {
    colX.push(x);
    let widest = NODE_W;
    for (const id of ids) {
      const n = byId.get(id);
      n.w = Math.min(MAX_W, Math.max(NODE_W, 20 + CHAR_W * Math.max(...n.lines.map((t) => t.length))));
      widest = Math.max(widest, n.w);
    }
    x += widest + GAP_X;
  });
  layers.forEach((ids, l) => {
    let y = (tallest - colHeights[l]) / 2;
    for (const id of ids) {
      const n = byId.get(id);
      n.hgt = boxHeight(n);
      n.x = colX[l];
      n.y = y;
      y += n.hgt + GAP_Y;
      width = Math.max(width, n.x + n.w);
      height = Math.max(height, n.y + n.hgt);
    }
  });
  return { width, height, layers: layers.length };
}

function clip(text, max) {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

// The picture, with its controls. onSelect(nodeId) when a node is clicked or chosen with Enter.
export function render(compiled, onSelect) {
  const g = graphOf(compiled);
  const size = layout(g);
  const view = s('g', { class: 'view' });
  const edgeLayer = s('g', { class: 'edges' });
  const nodeLayer = s('g', { class: 'nodes' });
  view.appendChild(edgeLayer);
  view.appendChild(nodeLayer);
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  for (const [a, b] of g.edges) {
    const p = byId.get(a);
    const q = byId.get(b);
    const x1 = p.x + p.w;
    const y1 = p.y + p.hgt / 2;
    const x2 = q.x;
    const y2 = q.y + q.hgt / 2;
    const mx = (x1 + x2) / 2;
    edgeLayer.appendChild(s('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, class: 'edge', 'marker-end': 'url(#arrow)' }));
  }
  const boxes = new Map();
  for (const n of g.nodes) {
    const box = s('g', { class: 'node kind-' + n.kind, transform: `translate(${n.x},${n.y})`, 'data-node': n.id, tabindex: n.kind === 'start' || n.kind === 'end' ? null : '0', role: 'button', 'aria-label': n.lines.join(', ') },
      s('title', null, n.lines.join('\n')),
      s('rect', { width: n.w, height: n.hgt, rx: n.kind === 'gate' ? 14 : 6 }),
      n.lines.map((line, i) => s('text', { x: 10, y: 18 + i * LINE_H, class: i ? 'sub' : 'main' }, clip(line, Math.floor((n.w - 20) / CHAR_W)))));
    const pick = () => onSelect && onSelect(n.id);
    box.addEventListener('click', pick);
    box.addEventListener('keydown', (e) => { if (e.key === 'Enter') pick(); });
    boxes.set(n.id, box);
    nodeLayer.appendChild(box);
  }
  const svg = s('svg', { class: 'dag', tabindex: '0', role: 'img', 'aria-label': `DAG with ${g.nodes.length} nodes; drag or arrow keys to pan, wheel or +/- to zoom, 0 to fit` },
    s('defs', null, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
      s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
    view);
  const st = { k: 1, x: 10, y: 10 };
  const apply = () => view.setAttribute('transform', `translate(${st.x},${st.y}) scale(${st.k})`);
  const fit = () => {
    const w = svg.clientWidth || 900;
    const hh = svg.clientHeight || 420;
    st.k = Math.min(1.2, Math.max(0.05, Math.min((w - 20) / (size.width || 1), (hh - 20) / (size.height || 1))));
    st.x = (w - size.width * st.k) / 2;
    st.y = (hh - size.height * st.k) / 2;
    apply();
  };
  const zoom = (f, cx, cy) => {
    const k = Math.min(4, Math.max(0.03, st.k * f));
    st.x = cx - (cx - st.x) * (k / st.k);
    st.y = cy - (cy - st.y) * (k / st.k);
    st.k = k;
    apply();
  };
  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = svg.getBoundingClientRect();
    zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  let drag = null;
  svg.addEventListener('pointerdown', (e) => {
    if (e.target.closest && e.target.closest('.node')) return;
    drag = { x: e.clientX, y: e.clientY, sx: st.x, sy: st.y };
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener('pointermove', (e) => {
    if (!drag) return;
    st.x = drag.sx + e.clientX - drag.x;
    st.y = drag.sy + e.clientY - drag.y;
    apply();
  });
  svg.addEventListener('pointerup', () => { drag = null; });
  svg.addEventListener('keydown', (e) => {
    const step = 40;
    const w = svg.clientWidth / 2;
    const hh = svg.clientHeight / 2;
    if (e.target !== svg) return;
    if (e.key === 'ArrowLeft') st.x += step;
    else if (e.key === 'ArrowRight') st.x -= step;
    else if (e.key === 'ArrowUp') st.y += step;
    else if (e.key === 'ArrowDown') st.y -= step;
    else if (e.key === '+' || e.key === '=') return zoom(1.2, w, hh);
    else if (e.key === '-') return zoom(1 / 1.2, w, hh);
    else if (e.key === '0') return fit();
    else return;
    e.preventDefault();
    apply();
  });
  const controls = h('div', { class: 'dag-controls' },
    h('button', { type: 'button', onclick: () => zoom(1.2, svg.clientWidth / 2, svg.clientHeight / 2), 'aria-label': 'Zoom in' }, '+'),
    h('button', { type: 'button', onclick: () => zoom(1 / 1.2, svg.clientWidth / 2, svg.clientHeight / 2), 'aria-label': 'Zoom out' }, '−'),
    h('button', { type: 'button', onclick: fit }, 'Fit'),
    h('span', { class: 'muted' }, `${g.nodes.length} nodes, ${g.edges.length} edges, ${size.layers} layers`));
  const wrap = h('div', { class: 'dag-wrap' }, controls, svg);
  // first view: the whole picture when it stays readable; a big one opens at a readable scale on its start
  // instead (Fit shows all of it)
  const first = () => {
    fit();
    if (st.k >= 0.5) return;
    const start = byId.get('start-node');
    st.k = 0.7;
    st.x = 10;
    st.y = (svg.clientHeight || 420) / 2 - (start ? start.y + start.hgt / 2 : 0) * st.k;
    apply();
  };
  requestAnimationFrame(first);
  return {
    el: wrap,
    nodes: g.nodes,
    // colour nodes by phase: {nodeId: phase}
    setPhases(phases) {
      for (const [id, box] of boxes) {
        const p = phases[id];
        box.setAttribute('class', 'node kind-' + byId.get(id).kind + (p ? ' phase-' + p.toLowerCase() : ''));
        box.setAttribute('data-phase', p || '');
      }
    },
    // colour a node's nested nodes (its subworkflow's nodes, the branch case taken, the array's children, and theirs
    // in turn): [{id, phase, depth}], one square each in the parent's box, as many as fit (then "+N")
    setNested(parentId, kids) {
      const box = boxes.get(parentId);
      const n = byId.get(parentId);
      if (!box || !n || !NESTS.has(n.kind)) return;
      let row = box.querySelector('g.nested');
      if (row) row.remove();
      row = s('g', { class: 'nested', transform: `translate(10,${n.hgt - CHIP_ROW})`, 'data-count': String(kids.length) });
      const fit = Math.max(1, Math.floor((n.w - 20 - 30) / (CHIP + CHIP_GAP)));
      kids.slice(0, fit).forEach((k, i) => {
        const ph = (k.phase || '').toLowerCase();
        row.appendChild(s('rect', { x: i * (CHIP + CHIP_GAP), y: 0, width: CHIP, height: CHIP, rx: 2,
          class: 'nested-node' + (ph ? ' phase-' + ph : ''), 'data-node': k.id, 'data-phase': k.phase || '' },
          s('title', null, k.id + ': ' + (k.phase || 'not started'))));
      });
      if (kids.length > fit) row.appendChild(s('text', { x: fit * (CHIP + CHIP_GAP) + 2, y: CHIP - 1, class: 'sub' }, '+' + (kids.length - fit)));
      box.appendChild(row);
    },
  };
}
