// The subset of the Cloudflare API that `tailor publish --to cloudflare` uses, served on loopback
// over any KV store: the local edge of scripts/demo serves it over the Worker's own KV namespace
// (local.mjs), the tests serve it over memory with fault injection (tests/publish). Node only.
//
//   PUT    /client/v4/accounts/{a}/storage/kv/namespaces/{n}/values/{key}   body = the value
//   GET    /client/v4/accounts/{a}/storage/kv/namespaces/{n}/values/{key}   the value, or 404 code 10009
//   DELETE /client/v4/accounts/{a}/storage/kv/namespaces/{n}/values/{key}
//   PUT    /client/v4/accounts/{a}/storage/kv/namespaces/{n}/bulk           [{"key","value","base64"}]
//   POST   /client/v4/accounts/{a}/storage/kv/namespaces/{n}/bulk/delete    ["key", ...]
//   GET    /client/v4/accounts/{a}/storage/kv/namespaces/{n}/keys?prefix=&limit=&cursor=
// Answers are in the API's envelope: {"success","errors":[{"code","message"}],"messages","result"}.
import { createServer } from 'node:http';

export const KV_VALUE_LIMIT = 25 * 1024 * 1024;
const MAX_BULK_BODY = 100 * 1024 * 1024;
const MAX_KEY_BYTES = 512;

// A store in memory with the interface the handler needs (keys listed in byte order, as KV does).
export function memoryKv() {
  const map = new Map();
  return {
    map,
    async get(key) { return map.has(key) ? map.get(key) : null; },
    async put(key, bytes) { map.set(key, Uint8Array.from(bytes)); },
    async delete(key) { map.delete(key); },
    async list({ prefix = '', limit = 1000, cursor } = {}) {
      const names = [...map.keys()].filter((k) => k.startsWith(prefix)).sort();
      const start = cursor ? Number(cursor) : 0;
      const page = names.slice(start, start + limit);
      const next = start + page.length;
      return { keys: page.map((name) => ({ name })), list_complete: next >= names.length, cursor: next >= names.length ? '' : String(next) };
    },
  };
}

// A Workers KV namespace (a binding, or Miniflare's getKVNamespace()) behind the same interface.
export function fromKvNamespace(ns) {
  return {
    async get(key) { const v = await ns.get(key, 'arrayBuffer'); return v === null ? null : new Uint8Array(v); },
    async put(key, bytes) { await ns.put(key, bytes); },
    async delete(key) { await ns.delete(key); },
    async list({ prefix = '', limit = 1000, cursor } = {}) {
      const r = await ns.list({ prefix, limit, cursor: cursor || undefined });
      return { keys: r.keys.map((k) => ({ name: k.name })), list_complete: r.list_complete, cursor: r.list_complete ? '' : r.cursor };
    },
  };
}

const send = (res, status, body, type = 'application/json') => {
  const data = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(data) });
  res.end(data);
};
const ok = (res, result = {}, extra = {}) => send(res, 200, { success: true, errors: [], messages: [], result, ...extra });
const apiError = (res, status, code, message) => send(res, status, { success: false, errors: [{ code, message }], messages: [], result: null });

async function readBody(req, max) {
  const parts = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > max) return null;
    parts.push(chunk);
  }
  return new Uint8Array(Buffer.concat(parts));
}

// Node http handler. `namespaces`: {namespaceId: store}; `accountId`: the one account served
// (any when undefined); `token`: the Bearer token required (none when undefined). `faults`
// (mutable, for tests): {failNth: n} answers the n-th API request with 500 once, {failFrom: n}
// every request from the n-th on (an outage), {delayMs: n} answers every request n ms late (a slow
// link, so that two publishers overlap); `faults.count` counts requests, `faults.log` records
// "METHOD key" for each.
export function kvApiHandler({ namespaces, accountId, token, faults = {} }) {
  return async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost');
      const m = url.pathname.match(/^\/client\/v4\/accounts\/([^/]+)\/storage\/kv\/namespaces\/([^/]+)\/(values\/(.+)|bulk|bulk\/delete|keys)$/);
      if (!m) return apiError(res, 404, 7000, `No route for that URI: ${req.method} ${url.pathname}`);
      if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
      faults.count = (faults.count ?? 0) + 1;
      const key = m[4] === undefined ? undefined : decodeURIComponent(m[4]);
      (faults.log ??= []).push(`${req.method} ${key ?? m[3]}${m[3] === 'keys' ? `?prefix=${url.searchParams.get('prefix') ?? ''}` : ''}`);
      if (token !== undefined && req.headers.authorization !== `Bearer ${token}`)
        return apiError(res, 401, 10000, 'Authentication error');
      if ((faults.failNth && faults.count === faults.failNth) || (faults.failFrom && faults.count >= faults.failFrom)) {
        req.resume();
        return apiError(res, 500, 10001, `injected failure of request ${faults.count}`);
      }
      if (accountId !== undefined && decodeURIComponent(m[1]) !== accountId) return apiError(res, 404, 10013, 'account not found');
      const kv = namespaces[decodeURIComponent(m[2])];
      if (!kv) return apiError(res, 404, 10013, 'namespace not found');

      if (key !== undefined) {
        if (Buffer.byteLength(key) > MAX_KEY_BYTES) return apiError(res, 414, 10025, `key longer than ${MAX_KEY_BYTES} bytes`);
        if (req.method === 'PUT') {
          const body = await readBody(req, KV_VALUE_LIMIT);
          if (body === null) return apiError(res, 413, 10011, `value larger than ${KV_VALUE_LIMIT} bytes`);
          await kv.put(key, body);
          return ok(res);
        }
        if (req.method === 'GET') {
          const v = await kv.get(key);
          if (v === null) return apiError(res, 404, 10009, "get: 'key not found'");
          return send(res, 200, v, 'application/octet-stream');
        }
        if (req.method === 'DELETE') {
          await kv.delete(key);
          return ok(res);
        }
        return apiError(res, 405, 10000, `${req.method} not allowed on values`);
      }
      if (m[3] === 'keys' && req.method === 'GET') {
        const limit = Math.min(1000, Math.max(10, Number(url.searchParams.get('limit') ?? 1000) || 1000));
        const r = await kv.list({ prefix: url.searchParams.get('prefix') ?? '', limit, cursor: url.searchParams.get('cursor') ?? '' });
        return ok(res, r.keys, { result_info: { count: r.keys.length, cursor: r.cursor ?? '' } });
      }
      if ((m[3] === 'bulk' && req.method === 'PUT') || (m[3] === 'bulk/delete' && req.method === 'POST') || (m[3] === 'bulk' && req.method === 'DELETE')) {
        const body = await readBody(req, MAX_BULK_BODY);
        if (body === null) return apiError(res, 413, 10011, 'bulk body larger than 100 MB');
        let list;
        try { list = JSON.parse(Buffer.from(body).toString('utf8')); } catch { list = null; }
        if (!Array.isArray(list) || list.length > 10000) return apiError(res, 400, 10026, 'body must be an array of at most 10000 entries');
        if (m[3] === 'bulk' && req.method === 'PUT') {
          for (const e of list) {
            if (!e || typeof e.key !== 'string' || typeof e.value !== 'string') return apiError(res, 400, 10026, 'each entry needs key and value strings');
            const bytes = e.base64 ? new Uint8Array(Buffer.from(e.value, 'base64')) : new TextEncoder().encode(e.value);
            if (bytes.length > KV_VALUE_LIMIT) return apiError(res, 413, 10011, `value of ${e.key} larger than ${KV_VALUE_LIMIT} bytes`);
          }
          for (const e of list) await kv.put(e.key, e.base64 ? new Uint8Array(Buffer.from(e.value, 'base64')) : new TextEncoder().encode(e.value));
        } else {
          for (const k of list) await kv.delete(typeof k === 'string' ? k : k?.name);
        }
        return ok(res, { successful_key_count: list.length, unsuccessful_keys: [] });
      }
      return apiError(res, 405, 10000, `${req.method} not allowed`);
    } catch (e) {
      if (!res.headersSent) apiError(res, 500, 10001, String(e?.message ?? e));
    }
  };
}

// Starts the API on 127.0.0.1:`port` (0 = any free port); resolves to {server, url} where url is
// the origin to give `tailor publish --to local:URL` (or TAILOR_CF_API_BASE = url + '/client/v4').
export function startKvApi(options, { port = 0, host = '127.0.0.1' } = {}) {
  const server = createServer(kvApiHandler(options));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address();
      resolve({ server, url: `http://${host}:${a.port}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}
