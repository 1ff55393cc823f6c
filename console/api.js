// api.js: every call the console makes goes through here, to the same REST API the CLI uses (docs/api.md).
// The token, when the admin has one, is entered once, kept in sessionStorage (gone with the tab) and sent as
// "Authorization: Bearer" on every request, streams included.

const TOKEN_KEY = 'flytec.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(extra) {
  const h = Object.assign({ Accept: 'application/json' }, extra || {});
  const t = token();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

// An error from the admin: its JSON body's code and message, and the HTTP status.
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message || ('HTTP ' + status));
    this.status = status;
    this.code = code || '';
    this.body = body || null;
  }
}

async function failure(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch (e) {
    body = null;
  }
  const msg = body && body.message ? body.message : resp.status + ' ' + resp.statusText;
  return new ApiError(resp.status, body && body.code, msg, body);
}

// GET (or another method with a JSON body) and the decoded JSON answer.
export async function call(method, path, body) {
  const init = { method, headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : null) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const resp = await fetch(path, init);
  if (!resp.ok) throw await failure(resp);
  const text = await resp.text();
  return text ? JSON.parse(text) : {};
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);
export const del = (path, body) => call('DELETE', path, body);

// A path with its segments escaped: seg`/api/v1/executions/${p}/${d}` would be wrong for names with '/'; this is.
export function path(...parts) {
  return '/' + parts.map((p, i) => (i < 2 && /^(api|v1)$/.test(p) ? p : encodeURIComponent(p))).join('/');
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

// A plain-text GET with a size cap (logs): the text (at most `cap` bytes are read), the answer's headers, and
// whether the cap cut it. `signal` (an AbortSignal, optional) stops it.
export async function text(pathq, cap, signal) {
  const resp = await fetch(pathq, { headers: headers({ Accept: 'text/plain' }), signal });
  if (!resp.ok) throw await failure(resp);
  const reader = resp.body.getReader();
  const chunks = [];
  let n = 0;
  let cut = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.length > cap) {
      if (cap <= n) {
        cut = true;
        await reader.cancel();
        break;
      }
      chunks.push(value.subarray(0, cap - n));
      n = cap;
      cut = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    n += value.length;
  }
  const all = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return { text: new TextDecoder().decode(all), headers: resp.headers, cut };
}

// Follow a server-sent event stream with fetch (EventSource cannot send the Authorization header). Calls
// onEvent(type, data) for each event; resolves when the stream ends; rejects with ApiError on a refused start.
// `signal` (an AbortSignal) stops it.
export async function stream(pathq, onEvent, signal) {
  const resp = await fetch(pathq, { headers: headers({ Accept: 'text/event-stream' }), signal });
  if (!resp.ok) throw await failure(resp);
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let type = 'message';
  let data = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      let line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (data.length) onEvent(type, data.join('\n'));
        type = 'message';
        data = [];
      } else if (line.startsWith(':')) {
        // a comment (ping)
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) val = val.slice(1);
        if (field === 'event') type = val;
        else if (field === 'data') data.push(val);
      }
    }
  }
}
