// literals.js: Flyte literals and types (proto3 JSON) shown by type, and read back from a launch form with the
// same checks the admin makes (the admin checks again; a form is a convenience, not the authority).
import { h } from './dom.js';

export function typeName(t) {
  if (!t) return '?';
  if (t.simple) return t.simple.toLowerCase();
  if (t.collectionType) return 'list<' + typeName(t.collectionType) + '>';
  if (t.mapValueType) return 'map<string, ' + typeName(t.mapValueType) + '>';
  if (t.blob) return t.blob.dimensionality === 'MULTIPART' ? 'directory' : 'file';
  if (t.enumType) return 'enum(' + (t.enumType.values || []).join('|') + ')';
  if (t.unionType) return (t.unionType.variants || []).map(typeName).join(' | ');
  if (t.schema) return 'schema';
  if (t.structuredDatasetType) return 'dataset';
  if (Object.keys(t).length === 0) return 'none';
  return Object.keys(t)[0];
}

// The literal as a plain JavaScript value (what a person would type as JSON).
export function plain(lit) {
  if (!lit) return null;
  if (lit.scalar) {
    const sc = lit.scalar;
    if (sc.primitive) {
      const p = sc.primitive;
      if ('integer' in p) return Number(p.integer);
      if ('floatValue' in p) return p.floatValue;
      if ('boolean' in p) return p.boolean;
      if ('stringValue' in p) return p.stringValue;
      if ('datetime' in p) return p.datetime;
      if ('duration' in p) return p.duration;
      return null;
    }
    if (sc.blob) return sc.blob.uri;
    if (sc.generic) return sc.generic;
    if (sc.union) return plain(sc.union.value);
    if (sc.error) return { error: sc.error.message };
    if (sc.none) return null;
    if (sc.structuredDataset) return sc.structuredDataset.uri;
    return null;
  }
  if (lit.collection) return (lit.collection.literals || []).map(plain);
  if (lit.map) {
    const o = {};
    for (const [k, v] of Object.entries(lit.map.literals || {})) o[k] = plain(v);
    return o;
  }
  return null;
}

// A rendering of the literal: scalars as text, lists and maps as nested lists.
export function render(lit) {
  if (!lit) return h('span', { class: 'muted' }, 'none');
  if (lit.collection) {
    const items = lit.collection.literals || [];
    return h('ol', { class: 'lit-list', start: 0 }, items.map((x) => h('li', null, render(x))));
  }
  if (lit.map) {
    return h('dl', { class: 'lit-map' }, Object.entries(lit.map.literals || {}).map(([k, v]) =>
      [h('dt', null, k), h('dd', null, render(v))]));
  }
  const v = plain(lit);
  if (v === null) return h('span', { class: 'muted' }, 'none');
  if (typeof v === 'object') return h('pre', { class: 'lit-json' }, JSON.stringify(v, null, 2));
  return h('code', { class: 'lit-' + typeof v }, String(v));
}

// A LiteralMap as a table of name, type (when known) and value.
export function literalTable(map, vars) {
  const lits = (map && map.literals) || {};
  const names = Object.keys(lits);
  if (!names.length) return h('p', { class: 'muted' }, 'none');
  return h('table', { class: 'kv' }, h('tbody', null, names.sort().map((n) => h('tr', null,
    h('th', { scope: 'row' }, n),
    h('td', { class: 'type' }, vars && vars[n] ? typeName(vars[n].type) : ''),
    h('td', null, render(lits[n]))))));
}

export class InputError extends Error {}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DURATION_RE = /^\d+(\.\d+)?s$/;

function primitive(simple, v, where) {
  switch (simple) {
  case 'STRING':
    if (typeof v !== 'string') throw new InputError(where + ': expected a string');
    return { stringValue: v };
  case 'INTEGER': {
    const txt = String(v).trim();
    if (!INT_RE.test(txt)) throw new InputError(where + ': expected an integer, got "' + v + '"');
    return { integer: txt.replace(/^\+/, '') };
  }
  case 'FLOAT': {
    const txt = String(v).trim();
    if (!FLOAT_RE.test(txt)) throw new InputError(where + ': expected a number, got "' + v + '"');
    return { floatValue: Number(txt) };
  }
  case 'BOOLEAN':
    if (v === true || v === 'true') return { boolean: true };
    if (v === false || v === 'false') return { boolean: false };
    throw new InputError(where + ': expected true or false');
  case 'DATETIME': {
    const d = new Date(String(v));
    if (isNaN(d.getTime())) throw new InputError(where + ': expected a date and time (RFC 3339), got "' + v + '"');
    return { datetime: d.toISOString() };
  }
  case 'DURATION':
    if (!DURATION_RE.test(String(v))) throw new InputError(where + ': expected a duration like "90s"');
    return { duration: String(v) };
  default:
    throw new InputError(where + ': the form cannot build a ' + simple.toLowerCase());
  }
}

// A literal of type `t` from a plain value (string from a text field, or parsed JSON for composite types).
export function fromPlain(t, v, where) {
  if (t.simple === 'NONE') return { scalar: { none: {} } };
  if (t.simple === 'STRUCT') {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(where + ': expected a JSON object');
    return { scalar: { generic: v } };
  }
  if (t.simple) return { scalar: { primitive: primitive(t.simple, v, where) } };
  if (t.enumType) {
    const vals = t.enumType.values || [];
    if (!vals.includes(v)) throw new InputError(where + ': expected one of ' + vals.join(', '));
    return { scalar: { primitive: { stringValue: v } } };
  }
  if (t.collectionType) {
    if (!Array.isArray(v)) throw new InputError(where + ': expected a JSON list');
    return { collection: { literals: v.map((x, i) => fromPlain(t.collectionType, x, where + '[' + i + ']')) } };
  }
  if (t.mapValueType) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(where + ': expected a JSON object');
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = fromPlain(t.mapValueType, x, where + '.' + k);
    return { map: { literals: out } };
  }
  if (t.blob) {
    if (typeof v !== 'string' || !v) throw new InputError(where + ': expected a file or directory URI');
    return { scalar: { blob: { uri: v, metadata: { type: t.blob } } } };
  }
  if (t.unionType) {
    for (const variant of t.unionType.variants || []) {
      try {
        return { scalar: { union: { value: fromPlain(variant, v, where), type: variant } } };
      } catch (e) {
        // try the next variant
      }
    }
    throw new InputError(where + ': matches none of ' + typeName(t));
  }
  throw new InputError(where + ': the form cannot build a ' + typeName(t));
}

// Whether values of type t are typed as JSON in the form (lists, maps, objects, unions).
export function isJsonInput(t) {
  return !!(t.collectionType || t.mapValueType || t.unionType || t.simple === 'STRUCT');
}
