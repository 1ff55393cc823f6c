// dom.js: building the page. Every piece of data becomes a text node (textContent) or an attribute value: the
// console never assigns HTML strings, so a spec's description holding "<script>" is shown as those characters.

// h('div', {class: 'x', onclick: fn}, child, ...): children are nodes, strings (as text), arrays, or null.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function link(href, ...children) {
  return h('a', { href }, ...children);
}

// '#/a/b' from parts, each escaped.
export function route(...parts) {
  return '#/' + parts.map((p) => encodeURIComponent(p)).join('/');
}

// A time in the viewer's zone; the UTC time on hover (title) and in the datetime attribute.
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  if (isNaN(d.getTime())) return h('span', null, iso);
  return h('time', { datetime: d.toISOString(), title: d.toISOString().replace('.000Z', 'Z') + ' (UTC)' },
    d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }));
}

// "1.5s", "2m 03s" from a proto3 JSON Duration ("1.500s") or from two times.
export function duration(d, from, to) {
  let secs = null;
  if (typeof d === 'string' && d.endsWith('s')) secs = parseFloat(d);
  else if (from) secs = ((to ? new Date(to) : new Date()) - new Date(from)) / 1000;
  if (secs === null || isNaN(secs)) return '—';
  if (secs < 60) return secs.toFixed(secs < 10 ? 2 : 1) + 's';
  const m = Math.floor(secs / 60);
  if (m < 60) return m + 'm ' + String(Math.floor(secs % 60)).padStart(2, '0') + 's';
  return Math.floor(m / 60) + 'h ' + String(m % 60).padStart(2, '0') + 'm';
}

export function phaseBadge(phase) {
  const p = phase || 'UNDEFINED';
  return h('span', { class: 'phase phase-' + p.toLowerCase() }, p);
}

export const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT', 'SKIPPED', 'RECOVERED']);

export function table(headers, rows, attrs) {
  return h('table', attrs || null,
    h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', null, rows));
}

export function errorBox(err) {
  return h('div', { class: 'error', role: 'alert' }, String(err && err.message ? err.message : err));
}

let toastTimer = null;
export function toast(msg, bad) {
  const t = document.getElementById('toast');
  if (!t) return;
  t.textContent = msg;
  t.className = bad ? 'show bad' : 'show';
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.className = ''; }, 5000);
}
