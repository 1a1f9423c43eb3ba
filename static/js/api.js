// The server's HTTP and WebSocket API, as the page uses it.

// ApiError is a refused request: the server's sentence and the field it
// blames ("params.messages"), if any.
export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field || '';
  }
}

async function call(method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'the server cannot be reached');
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data.error || `the server answered ${res.status}`, data.field);
  return data;
}

// events fetches the recorded events from..to of a session (a stretch the
// page let go of), parsed.
export async function events(id, from, to) {
  let res;
  try {
    res = await fetch(`/api/sessions/${encodeURIComponent(id)}/events.jsonl?from=${from}&to=${to}`);
  } catch {
    throw new ApiError(0, 'the server cannot be reached');
  }
  if (!res.ok) {
    const data = await res.json().catch(() => ({}));
    throw new ApiError(res.status, data.error || `the server answered ${res.status}`, data.field);
  }
  const text = await res.text();
  return text.split('\n').filter((l) => l).map((l) => JSON.parse(l));
}

export const scenarios = () => call('GET', '/api/scenarios');
export const session = (id) => call('GET', `/api/sessions/${encodeURIComponent(id)}`);
export const create = (scenario, params, pace) => call('POST', '/api/sessions', { scenario, params, pace });
export const stop = (id, token) => call('DELETE', `/api/sessions/${encodeURIComponent(id)}`, undefined, token);
export const control = (id, token, action, value = null) =>
  call('POST', `/api/sessions/${encodeURIComponent(id)}/control`, { action, value }, token);

// Tokens live in this browser's localStorage, keyed by session id: whoever
// started a session here may steer it after a reload.
const tokenKey = (id) => `ipcpg.token.${id}`;
export const tokenFor = (id) => localStorage.getItem(tokenKey(id)) || '';
export const keepToken = (id, token) => localStorage.setItem(tokenKey(id), token);

// presenterLink is the link that hands a session's controls to another
// computer: the token travels in the fragment, which no request carries.
export const presenterLink = (id, token) => `${location.origin}/s/${encodeURIComponent(id)}#presenter=${encodeURIComponent(token)}`;

// adoptToken keeps the token a presenter link brought, and takes it out of
// the address bar, so it is neither bookmarked nor shown on a projector.
export function adoptToken(id) {
  const m = /^#presenter=([0-9a-f]{16,128})$/.exec(location.hash);
  if (!m) return;
  keepToken(id, m[1]);
  history.replaceState(history.state, '', location.pathname + location.search);
}

// stream follows a session's events. Each batch goes to onEvents in seq
// order, with no gap and no repeat: after a dropped connection it
// reconnects with ?from= the next seq it needs. onStatus hears
// "live", "reconnecting" and "ended".
export function stream(id, { onEvents, onStatus }) {
  let next = 1;
  let ended = false;
  let closed = false;
  let ws = null;
  let delay = 250;

  const connect = () => {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = next > 1 ? `?from=${next}` : '';
    ws = new WebSocket(`${proto}//${location.host}/api/sessions/${encodeURIComponent(id)}/events${q}`);
    ws.onopen = () => { delay = 250; onStatus('live'); };
    ws.onmessage = (m) => receive(JSON.parse(m.data));
    ws.onclose = () => {
      if (closed) return;
      if (ended) { onStatus('ended'); return; }
      onStatus('reconnecting');
      setTimeout(() => { if (!closed) connect(); }, delay);
      delay = Math.min(delay * 2, 5000);
    };
  };

  const receive = (data) => {
    const batch = (Array.isArray(data) ? data : [data]).filter((e) => e.seq >= next);
    if (!batch.length) return;
    if (batch[0].seq !== next) {
      // A gap: never draw past it. Reconnect from what is missing.
      ws.close();
      return;
    }
    next = batch[batch.length - 1].seq + 1;
    const last = batch[batch.length - 1];
    if (last.kind === 'session' && ['finished', 'failed', 'stopped'].includes(last.state)) ended = true;
    onEvents(batch);
  };

  connect();
  return {
    close() { closed = true; if (ws) ws.close(); },
    get next() { return next; },
  };
}
