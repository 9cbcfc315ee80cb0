// Tailor on Cloudflare Workers (workerd): a module Worker that decides requests and personalizes
// HTML at the edge from snapshots published to Workers KV (see ../publish.mjs and ../README.md).
//
//   POST /v1/decide   decision JSON for the request body (docs/api.md)
//   any other GET     the origin page (TAILOR_ORIGIN, or KV `page:<path>`), with every
//                     data-tailor-slot="<slot>" element filled by one decision for the page
//
// KV (binding TAILOR_KV, or the tenant's own binding and key prefix: TAILOR_TENANT_SETTINGS):
//   <prefix>manifest:<tenant>                {"version","sha256","bytes","chunks","signature","published_at"}
//   <prefix>snapshot:<tenant>:<version>:<i>  chunk i of the snapshot bytes
//   <prefix>profile:<tenant>:<user_hash>     .tprof of one visitor (user_hash: docs/cli.md)
//   page:<path>                              optional static pages (tests, demo) when TAILOR_ORIGIN is unset
//
// Tenants (docs/tenancy.md): the request's host (and optionally a path prefix) picks the tenant;
// each tenant has its own engine (own wasm instance), its own KV keys, its own public keys. A
// snapshot is loaded only for the tenant it was built for, and a request naming another tenant
// than its host's is refused (400 invalid_argument) before any engine is touched.
import wasm from './tailor.wasm';
// The repository's package by relative path: wrangler's bundler follows it; in your own project
// `import { ... } from '@tailor/engine'` (README.md).
import { SnapshotCache, TailorError, createEngine, parsePublicKeys, parseRequiredSignatures } from '../../../js/src/index.js';

const VID_COOKIE = 'tailor_vid';
const CONSENT_COOKIE = 'tailor_consent';
const VID_MAX_AGE = 31536000;
const REQUEST_ERRORS = new Set(['invalid_argument', 'parse_error', 'unknown_slot', 'limit_exceeded']);
const MAX_BODY = 64 * 1024 + 4096; // the core caps requests at 64 KiB; room for the fields we add
const MAX_PAGE_SLOTS = 16;         // the core's cap of slots per request

// One cache (one engine per tenant) per isolate, created on the first request from `env`.
let cache = null;
let cacheEnvKey = null;

function getCache(env) {
  const key = [env.TAILOR_PUBLIC_KEYS, env.TAILOR_REQUIRED_SIGNATURES, env.TAILOR_CACHE_TTL_MS,
    env.TAILOR_TENANT_SETTINGS].map((v) => (typeof v === 'string' ? v : JSON.stringify(v ?? ''))).join('|');
  if (cache && cacheEnvKey === key) return cache;
  const globalKeys = parsePublicKeys(env.TAILOR_PUBLIC_KEYS, 'TAILOR_PUBLIC_KEYS');
  const globalRequired = parseRequiredSignatures(env.TAILOR_REQUIRED_SIGNATURES, 'TAILOR_REQUIRED_SIGNATURES');
  const settings = tenantSettings(env);
  const ttl = env.TAILOR_CACHE_TTL_MS !== undefined && env.TAILOR_CACHE_TTL_MS !== '' ? Number(env.TAILOR_CACHE_TTL_MS) : 60_000;
  const manifests = new Map(); // tenant → the manifest the cache fetched last (its signature and chunk count)
  // A tenant with its own public_keys trusts only those; the others trust TAILOR_PUBLIC_KEYS.
  const keysOf = (tenant) => settings.get(tenant)?.publicKeys ?? globalKeys;
  const anyKeys = globalKeys !== undefined || [...settings.values()].some((s) => s.publicKeys);
  cache = new SnapshotCache({
    ttlMs: Number.isFinite(ttl) && ttl >= 0 ? ttl : 60_000,
    publicKeys: anyKeys ? keysOf : undefined,
    requiredSignatures: (tenant) => settings.get(tenant)?.requiredSignatures ?? globalRequired,
    // One engine per tenant, bound to it: a snapshot of another tenant is refused before activation.
    createEngine: (tenant) => createEngine({ module: wasm, tenant }),
    fetchManifest: async (tenant) => {
      const m = await readManifest(env, tenant);
      manifests.set(tenant, m);
      return m;
    },
    fetchSnapshot: async (tenant, version) => {
      let m = manifests.get(tenant);
      if (!m || m.version !== version) m = await readManifest(env, tenant);
      if (m.version !== version) throw new TailorError('not_found', `manifest of ${tenant} moved on from ${version}`);
      return { bytes: await readSnapshot(env, tenant, m), signature: m.signature ?? null };
    },
  });
  cacheEnvKey = key;
  return cache;
}

// TAILOR_TENANT_SETTINGS: {"<tenant>": {"public_keys": "hex,hex" or [hex or base64],
// "required_signatures": n,
// "kv": "<binding name>", "kv_prefix": "<prefix>"}}; every field optional.
function tenantSettings(env) {
  const text = env.TAILOR_TENANT_SETTINGS;
  const out = new Map();
  if (text === undefined || text === null || text === '') return out;
  const obj = typeof text === 'string' ? JSON.parse(text) : text;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj))
    throw new TailorError('invalid_argument', 'TAILOR_TENANT_SETTINGS must be a JSON object {"<tenant>": {...}}');
  for (const [tenant, s] of Object.entries(obj)) {
    const where = `TAILOR_TENANT_SETTINGS.${tenant}`;
    if (!s || typeof s !== 'object' || Array.isArray(s)) throw new TailorError('invalid_argument', `${where} must be an object`);
    for (const k of Object.keys(s))
      if (!['public_keys', 'required_signatures', 'kv', 'kv_prefix'].includes(k))
        throw new TailorError('invalid_argument', `${where}.${k}: unknown setting`);
    if (s.kv !== undefined && typeof s.kv !== 'string') throw new TailorError('invalid_argument', `${where}.kv must be a binding name`);
    if (s.kv_prefix !== undefined && typeof s.kv_prefix !== 'string') throw new TailorError('invalid_argument', `${where}.kv_prefix must be a string`);
    out.set(tenant, {
      publicKeys: s.public_keys === undefined ? undefined : parsePublicKeys(s.public_keys, `${where}.public_keys`),
      requiredSignatures: parseRequiredSignatures(s.required_signatures, `${where}.required_signatures`),
      kv: s.kv, prefix: s.kv_prefix ?? '',
    });
  }
  return out;
}

// The tenant's KV namespace and key prefix.
function store(env, tenant) {
  const s = tenantSettings(env).get(tenant);
  const kv = s?.kv ? env[s.kv] : env.TAILOR_KV;
  if (!kv || typeof kv.get !== 'function')
    throw new TailorError('invalid_argument', `tenant ${tenant}: KV binding ${s?.kv ?? 'TAILOR_KV'} is not bound`);
  return { kv, prefix: s?.prefix ?? '' };
}


async function readManifest(env, tenant) {
  const { kv, prefix } = store(env, tenant);
  const m = await kv.get(`${prefix}manifest:${tenant}`, 'json');
  if (!m) throw new TailorError('no_snapshot', `no snapshot published for tenant ${tenant}`);
  if (typeof m.version !== 'string' || !Number.isInteger(m.chunks) || m.chunks < 1)
    throw new TailorError('invalid_argument', `manifest of ${tenant} is malformed`);
  return m;
}

async function readSnapshot(env, tenant, m) {
  const { kv, prefix } = store(env, tenant);
  const parts = await Promise.all(Array.from({ length: m.chunks },
    (_, i) => kv.get(`${prefix}snapshot:${tenant}:${m.version}:${i}`, 'arrayBuffer')));
  let total = 0;
  parts.forEach((p, i) => {
    if (!p) throw new TailorError('not_found', `snapshot ${tenant}@${m.version}: chunk ${i} of ${m.chunks} missing`);
    total += p.byteLength;
  });
  if (Number.isInteger(m.bytes) && total !== m.bytes)
    throw new TailorError('snapshot_invalid', `snapshot ${tenant}@${m.version}: ${total} bytes, manifest says ${m.bytes}`);
  if (parts.length === 1) return new Uint8Array(parts[0]);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { bytes.set(new Uint8Array(p), at); at += p.byteLength; }
  return bytes;
}

// The request's tenant route: TAILOR_TENANTS maps "host" or "host/path-prefix" (the longest
// matching prefix wins) to a tenant id, or to {"tenant": id, "site": default site}. Returns
// {tenant, site, path} where `path` is the URL path below the matched prefix, or null.
function route(request, env) {
  const url = new URL(request.url);
  const host = url.hostname.toLowerCase();
  let map = {};
  if (env.TAILOR_TENANTS) map = typeof env.TAILOR_TENANTS === 'string' ? JSON.parse(env.TAILOR_TENANTS) : env.TAILOR_TENANTS;
  let best = null;
  for (const [key, value] of Object.entries(map)) {
    const slash = key.indexOf('/');
    const h = (slash < 0 ? key : key.slice(0, slash)).toLowerCase();
    const prefix = slash < 0 ? '' : key.slice(slash).replace(/\/+$/, '');
    if (h !== host) continue;
    if (prefix && url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) continue;
    if (!best || prefix.length > best.prefix.length) best = { prefix, value };
  }
  if (!best) {
    const fallback = env.TAILOR_DEFAULT_TENANT;
    return fallback ? { tenant: fallback, site: env.TAILOR_SITE, path: url.pathname } : null;
  }
  const v = best.value;
  const tenant = typeof v === 'string' ? v : v?.tenant;
  if (typeof tenant !== 'string' || tenant === '')
    throw new TailorError('invalid_argument', `TAILOR_TENANTS["${best.prefix ? host + best.prefix : host}"] names no tenant`);
  const site = typeof v === 'object' && typeof v.site === 'string' ? v.site : env.TAILOR_SITE;
  return { tenant, site, path: url.pathname.slice(best.prefix.length) || '/' };
}

function cookies(request) {
  const out = new Map();
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

// The visitor: the tailor_vid cookie when it is a sane id, else a new random one (setCookie).
function visitor(request) {
  const jar = cookies(request);
  const vid = jar.get(VID_COOKIE);
  const consentText = jar.get(CONSENT_COOKIE);
  const consent = consentText === undefined ? undefined
    : decodeURIComponent(consentText).split(',').map((s) => s.trim()).filter(Boolean);
  if (vid && /^[A-Za-z0-9._-]{1,128}$/.test(vid)) return { vid, setCookie: null, consent };
  const fresh = crypto.randomUUID();
  return { vid: fresh, consent,
    setCookie: `${VID_COOKIE}=${fresh}; Path=/; Max-Age=${VID_MAX_AGE}; SameSite=Lax; Secure; HttpOnly` };
}

async function userHash(tenant, vid) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${tenant}:${vid}`)));
  return Array.from(d.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function profileFor(env, tenant, vid) {
  const { kv, prefix } = store(env, tenant);
  const buf = await kv.get(`${prefix}profile:${tenant}:${await userHash(tenant, vid)}`, 'arrayBuffer');
  return buf ? new Uint8Array(buf) : undefined;
}

function device(ua) {
  if (!ua) return 'unknown';
  if (/bot|crawler|spider|slurp|bingpreview|facebookexternalhit/i.test(ua)) return 'bot';
  if (/ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))/i.test(ua)) return 'tablet';
  if (/mobi|iphone|ipod|android|windows phone|blackberry|opera mini/i.test(ua)) return 'mobile';
  return 'desktop';
}

// Fills what the host knows and the body left out; never changes a field the body set.
function fillRequest(body, { tenant, site, request, consent }) {
  if (body.tenant === undefined) body.tenant = tenant;
  if (body.now === undefined) body.now = Math.floor(Date.now() / 1000);
  if (body.site === undefined && site) body.site = site;
  if (body.consent === undefined && consent !== undefined) body.consent = consent;
  const context = body.context && typeof body.context === 'object' && !Array.isArray(body.context) ? body.context : {};
  const country = request.cf?.country;
  if (context.country === undefined && country) context.country = country;
  if (context.device === undefined) context.device = device(request.headers.get('user-agent'));
  body.context = context;
  return body;
}

function jsonResponse(text, status, extra = {}) {
  return new Response(text, { status, headers: { 'content-type': 'application/json', ...extra } });
}

function errorResponse(code, message, status, extra) {
  return jsonResponse(JSON.stringify({ error: { code, message } }), status, extra);
}

const errorCode = (e) => (e instanceof TailorError ? e.code : 'internal');

async function engineOrError(tenant, env, ctx) {
  if (!tenant) return { error: errorResponse('invalid_argument', 'no tenant for this host (TAILOR_TENANTS, TAILOR_DEFAULT_TENANT)', 400) };
  try {
    return { engine: await getCache(env).engineFor(tenant, { waitUntil: (p) => ctx.waitUntil(p) }) };
  } catch (e) {
    // No manifest, a refused signature, a corrupt snapshot: nothing to serve with.
    return { error: errorResponse(errorCode(e), e.message, 503, { 'retry-after': '30' }) };
  }
}

async function handleDecide(request, env, ctx, where) {
  const tenant = where?.tenant ?? null;
  const v = visitor(request);
  const extra = v.setCookie ? { 'set-cookie': v.setCookie } : {};
  const text = await request.text();
  if (text.length > MAX_BODY) return errorResponse('limit_exceeded', `request body over ${MAX_BODY} bytes`, 400, extra);
  let body;
  try { body = JSON.parse(text); } catch { body = undefined; }
  const isObject = body && typeof body === 'object' && !Array.isArray(body);
  // A request naming another tenant than its host's is refused before any engine sees it (the
  // same code and status as the core's own check, so every runtime answers it alike).
  if (tenant && isObject && body.tenant !== undefined && body.tenant !== tenant)
    return errorResponse('invalid_argument', `request.tenant: this host serves tenant '${tenant}', the request names ${JSON.stringify(body.tenant)}`, 400, extra);
  const { engine, error } = await engineOrError(tenant, env, ctx);
  if (error) {
    if (v.setCookie) error.headers.append('set-cookie', v.setCookie);
    return error;
  }
  // Not a JSON object: the core answers it as it is (parse_error, invalid_argument).
  const req = isObject ? JSON.stringify(fillRequest(body, { tenant, site: where.site, request, consent: v.consent })) : text;
  try {
    const profile = await profileFor(env, tenant, v.vid);
    return jsonResponse(engine.decideRaw(req, { profile }), 200, extra);
  } catch (e) {
    const code = errorCode(e);
    return errorResponse(code, e.message, REQUEST_ERRORS.has(code) ? 400 : 500, extra);
  }
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function renderItems(slot) {
  return slot.items.map((it) => {
    const price = typeof it.price === 'number' ? ` <span class="tailor-price">${escapeHtml(it.price.toFixed(2))}</span>` : '';
    return `<li data-tailor-item="${escapeHtml(it.id)}"><span class="tailor-title">${escapeHtml(it.title ?? it.id)}</span>${price}</li>`;
  }).join('');
}

async function fetchOrigin(request, env) {
  const url = new URL(request.url);
  if (env.TAILOR_ORIGIN) {
    const target = new URL(url.pathname + url.search, env.TAILOR_ORIGIN);
    return fetch(new Request(target, request));
  }
  const page = await env.TAILOR_KV.get(`page:${url.pathname}`, 'text');
  if (page === null) return new Response('not found\n', { status: 404, headers: { 'content-type': 'text/plain' } });
  return new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } });
}

// One decision for every slot of the page: the HTML is read whole, its slot ids collected, decided
// once (items are de-duplicated by the core per slot, experiments assigned once), then streamed
// through HTMLRewriter. Any failure serves the origin page unchanged (its own default content).
async function handlePage(request, env, ctx, where) {
  const origin = await fetchOrigin(request, env);
  const v = visitor(request);
  const withCookie = (res) => {
    if (v.setCookie) res.headers.append('set-cookie', v.setCookie);
    return res;
  };
  const type = origin.headers.get('content-type') ?? '';
  if (request.method !== 'GET' || !origin.ok || !type.includes('text/html')) return withCookie(new Response(origin.body, origin));
  const html = await origin.text();
  const headers = new Headers(origin.headers);
  headers.delete('content-length');
  headers.set('cache-control', 'private, no-store'); // personalized per visitor
  const plain = (why) => {
    headers.set('x-tailor-error', why);
    return withCookie(new Response(html, { status: origin.status, headers }));
  };
  const slotIds = [];
  for (const m of html.matchAll(/data-tailor-slot\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    const id = m[1] ?? m[2];
    if (id && !slotIds.includes(id) && slotIds.length < MAX_PAGE_SLOTS) slotIds.push(id);
  }
  if (slotIds.length === 0) return withCookie(new Response(html, { status: origin.status, headers }));
  const tenant = where?.tenant ?? null;
  const { engine, error } = await engineOrError(tenant, env, ctx);
  if (error) return plain((await error.json()).error.code);
  let decision;
  try {
    const req = fillRequest({ slots: slotIds }, { tenant, site: where.site, request, consent: v.consent });
    decision = engine.decide(req, { profile: await profileFor(env, tenant, v.vid) });
  } catch (e) {
    return plain(errorCode(e));
  }
  const bySlot = new Map(decision.slots.map((s) => [s.id, s]));
  headers.set('x-tailor-snapshot', decision.snapshot.version);
  const res = new HTMLRewriter().on('[data-tailor-slot]', {
    element(el) {
      const slot = bySlot.get(el.getAttribute('data-tailor-slot'));
      if (slot) el.setInnerContent(renderItems(slot), { html: true });
    },
  }).transform(new Response(html, { status: origin.status, headers }));
  return withCookie(res);
}

// Local demo only (TAILOR_DEMO=1): "become" an example visitor. Sets the visitor and consent
// cookies (which page scripts cannot set: the visitor cookie is HttpOnly) and returns to `/`.
function demoVisitor(url) {
  const id = url.searchParams.get('id') ?? '';
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(id)) return errorResponse('invalid_argument', 'id: 1-128 of [A-Za-z0-9._-]', 400);
  const consent = url.searchParams.get('consent') ?? '';
  const headers = new Headers({ location: '/' });
  headers.append('set-cookie', `${VID_COOKIE}=${id}; Path=/; Max-Age=${VID_MAX_AGE}; SameSite=Lax; Secure; HttpOnly`);
  headers.append('set-cookie', `${CONSENT_COOKIE}=${encodeURIComponent(consent)}; Path=/; Max-Age=${VID_MAX_AGE}; SameSite=Lax; Secure`);
  headers.append('set-cookie', `tailor_demo_visitor=${id}; Path=/; Max-Age=${VID_MAX_AGE}; SameSite=Lax; Secure`);
  return new Response(null, { status: 302, headers });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    try {
      const where = route(request, env);
      // No route (an unmapped host or path prefix): decide calls get "no tenant" (400).
      if ((where?.path ?? url.pathname) === '/v1/decide' || (!where && url.pathname.endsWith('/v1/decide'))) {
        if (request.method !== 'POST') return errorResponse('invalid_argument', 'use POST /v1/decide', 405, { allow: 'POST' });
        return await handleDecide(request, env, ctx, where);
      }
      if (url.pathname === '/demo/visitor' && env.TAILOR_DEMO === '1') return demoVisitor(url);
      if (request.method === 'GET' || request.method === 'HEAD') return await handlePage(request, env, ctx, where);
      if (env.TAILOR_ORIGIN) return await fetchOrigin(request, env);
      return errorResponse('invalid_argument', `${request.method} not allowed`, 405, { allow: 'GET, HEAD, POST' });
    } catch (e) {
      return errorResponse(errorCode(e), e.message, 500);
    }
  },
};
