// Tailor over HTTP for Deno-based edges (Deno Deploy, Netlify Edge, plain `deno run`):
// `POST /v1/decide` with the Cloudflare adapter's behaviour.
//
//   const handle = createTailorHandler({ wasmModule, loadSnapshot, loadProfile, tenantFor });
//   Deno.serve(handle);                    // or (request, context) => handle(request, context)
//
// - The body is a decision request (docs/api.md). The handler fills `tenant` (tenantFor),
//   `now` (the clock, unix seconds) and `site` (option) when absent, and adds
//   `context: {country, device}` (ignored by the core today; for rules and logs).
// - The visitor is the `tailor_vid` cookie (set when absent or malformed: HttpOnly, Secure,
//   SameSite=Lax, one year). Its profile is loadProfile(tenant, first 32 hex of
//   sha256(tenant + ':' + vid)) — the user_hash `tailor profiles` names files by. `user.id`
//   in the body is replaced by the vid: a client cannot ask for another visitor's profile.
// - 200: the decision JSON exactly as the core wrote it. Errors: {"error":{"code","message"}},
//   400 for request errors, 503 when the tenant has no snapshot, 500 otherwise.
// - One engine per tenant (SnapshotCache): the first request waits for the load, later ones
//   never do; every ttlMs a request starts one background reload, applied only when the bytes
//   changed. A failed reload keeps the old snapshot serving.
import { createEngine, SnapshotCache, TailorError } from '../../js/src/index.js';

export const VID_COOKIE = 'tailor_vid';
const VID_MAX_AGE = 365 * 24 * 3600;
const VID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/; // ours are UUIDs; any such token is accepted
const MAX_BODY = 64 * 1024; // the core's request cap (docs/api.md)
const REQUEST_ERRORS = new Set(['invalid_argument', 'parse_error', 'unknown_slot', 'limit_exceeded']);
const encoder = new TextEncoder();

export function createTailorHandler({
  wasmModule, loadSnapshot, loadProfile = () => null, tenantFor, publicKeys, requiredSignatures, site,
  ttlMs = 60_000, now = () => Math.floor(Date.now() / 1000), path = '/v1/decide',
} = {}) {
  if (!(wasmModule instanceof WebAssembly.Module))
    throw new TypeError('createTailorHandler: wasmModule must be a compiled WebAssembly.Module of tailor.wasm');
  for (const [name, fn] of Object.entries({ loadSnapshot, loadProfile, tenantFor }))
    if (typeof fn !== 'function') throw new TypeError(`createTailorHandler: ${name} must be a function`);

  // SnapshotCache wants a manifest then a snapshot; our loader returns both at once, so the
  // manifest step loads and hashes, and the snapshot step hands over what it loaded.
  const pending = new Map();
  const cache = new SnapshotCache({
    createEngine: () => createEngine({ module: wasmModule }),
    fetchManifest: async (tenant) => {
      const loaded = await loadSnapshot(tenant);
      if (loaded == null || loaded.bytes == null)
        throw new TailorError('no_snapshot', `no snapshot published for tenant ${tenant}`);
      const bytes = loaded.bytes instanceof Uint8Array ? loaded.bytes : new Uint8Array(loaded.bytes);
      const version = await sha256Hex(bytes);
      pending.set(tenant, { bytes, signature: loaded.signature });
      return { version };
    },
    fetchSnapshot: (tenant) => {
      const loaded = pending.get(tenant);
      pending.delete(tenant);
      return loaded;
    },
    publicKeys, requiredSignatures, ttlMs,
  });

  return async function handle(request, platformContext) {
    const url = new URL(request.url);
    const cookieVid = readCookie(request.headers.get('cookie'), VID_COOKIE);
    const vid = cookieVid && VID_PATTERN.test(cookieVid) ? cookieVid : crypto.randomUUID();
    const headers = new Headers({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'private, no-store' });
    if (vid !== cookieVid)
      headers.append('set-cookie', `${VID_COOKIE}=${vid}; Path=/; Max-Age=${VID_MAX_AGE}; HttpOnly; Secure; SameSite=Lax`);
    const fail = (status, code, message) =>
      new Response(JSON.stringify({ error: { code, message } }), { status, headers });

    if (url.pathname !== path) return fail(404, 'not_found', `no route ${url.pathname}`);
    if (request.method !== 'POST') {
      headers.set('allow', 'POST');
      return fail(405, 'invalid_argument', `${request.method} ${path}: use POST`);
    }
    try {
      const text = await request.text();
      if (encoder.encode(text).length > MAX_BODY) return fail(400, 'limit_exceeded', `request body over ${MAX_BODY} bytes`);
      let body;
      try {
        body = JSON.parse(text);
      } catch (e) {
        return fail(400, 'parse_error', `request body is not JSON: ${e.message}`);
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        return fail(400, 'invalid_argument', 'request: must be a JSON object');

      const tenant = await tenantFor(request, platformContext);
      if (typeof tenant !== 'string' || tenant === '') return fail(400, 'invalid_argument', 'no tenant for this request');
      body.tenant ??= tenant;
      body.now ??= now();
      if (body.site === undefined) {
        const s = typeof site === 'function' ? await site(request, platformContext) : site;
        if (s != null) body.site = s;
      }
      body.user = { ...(isObject(body.user) ? body.user : {}), id: vid };
      body.context = { ...(isObject(body.context) ? body.context : {}), ...visitorContext(request, platformContext) };

      let engine;
      try {
        engine = await cache.engineFor(tenant, { waitUntil: platformContext?.waitUntil?.bind(platformContext) });
      } catch (e) {
        if (e instanceof TailorError && e.code === 'no_snapshot') return fail(503, 'no_snapshot', e.message);
        throw e;
      }
      const profile = await loadProfile(tenant, await userHash(tenant, vid));
      return new Response(engine.decideRaw(JSON.stringify(body), { profile: profile ?? undefined }), { status: 200, headers });
    } catch (e) {
      if (e instanceof TailorError) return fail(REQUEST_ERRORS.has(e.code) ? 400 : 500, e.code, e.message);
      return fail(500, 'internal', String(e?.message ?? e));
    }
  };
}

// First 32 hex of sha256(tenant + ':' + visitor id): the name `tailor profiles` gives the file.
export async function userHash(tenant, vid) {
  return (await sha256Hex(encoder.encode(`${tenant}:${vid}`))).slice(0, 32);
}

// {country?, device?}: country from `x-country` (any proxy or CDN) or Netlify's context.geo;
// device from the User-Agent.
export function visitorContext(request, platformContext) {
  const out = {};
  const country = request.headers.get('x-country') ?? platformContext?.geo?.country?.code;
  if (country) out.country = String(country).toUpperCase();
  const ua = request.headers.get('user-agent');
  if (ua) out.device = deviceOf(ua);
  return out;
}

export function deviceOf(ua) {
  if (/bot|crawl|spider|slurp|headless/i.test(ua)) return 'bot';
  if (/ipad|tablet|kindle|silk|playbook|android(?!.*mobi)/i.test(ua)) return 'tablet';
  if (/mobi|iphone|ipod|android|windows phone|blackberry|opera mini/i.test(ua)) return 'mobile';
  return 'desktop';
}

export function readCookie(header, name) {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

async function sha256Hex(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}
