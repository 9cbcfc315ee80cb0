// Tailor as Vercel Edge Middleware: `POST /v1/decide` answered at the edge, before any route.
// The HTTP behaviour is edge-adapters/deno/handler.js (createTailorHandler): it uses only web
// APIs (fetch, Request/Response, crypto.subtle, TextEncoder), so it runs unchanged in Vercel's
// Edge runtime. Put this file (or a re-export of it) at the project root as `middleware.js`.
//
//   TAILOR_TENANT        the tenant this project answers for (required)
//   TAILOR_SNAPSHOT_URL  base URL (Vercel Blob store or your origin): GET {base}/{tenant}.tsnap
//                        and {base}/{tenant}.sig.json (404 = unsigned / no snapshot → 503)
//   TAILOR_PROFILE_URL   base URL for profiles: GET {base}/{tenant}/{user_hash}.tprof (404 = anonymous)
//   TAILOR_ORIGIN_TOKEN  optional bearer token sent to both URLs (keep profiles private)
//   TAILOR_PUBLIC_KEYS   comma-separated base64 raw Ed25519 keys: only signed snapshots load
//   TAILOR_SITE          site used when a request names none
//   TAILOR_TTL_MS        background snapshot reload interval (60000)
//
// tailor.wasm is imported with `?module`: Vercel compiles it at deploy time and hands over a
// WebAssembly.Module (the Edge runtime refuses WebAssembly.compile of bytes at run time).
// Country comes from Vercel's `x-vercel-ip-country` header (or `x-country`).
import wasm from './tailor.wasm?module';
import { createTailorHandler } from '../deno/handler.js';

export const config = { matcher: ['/v1/decide'] };

// env: (name) => string | undefined. Options for tests: fetch, wasmModule.
export function createVercelHandler(env, { fetch: doFetch = globalThis.fetch, wasmModule = wasm } = {}) {
  const tenant = env('TAILOR_TENANT');
  if (!tenant) throw new Error('TAILOR_TENANT is not set');
  const snapshotBase = env('TAILOR_SNAPSHOT_URL');
  if (!snapshotBase) throw new Error('TAILOR_SNAPSHOT_URL is not set');
  const profileBase = env('TAILOR_PROFILE_URL');
  const token = env('TAILOR_ORIGIN_TOKEN');
  const init = token ? { headers: { authorization: `Bearer ${token}` } } : {};
  const base = (b) => b.replace(/\/$/, '');
  const bytesOrNull = async (url) => {
    const r = await doFetch(url, init);
    if (r.status === 404) { await r.body?.cancel(); return null; }
    if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  };
  const keys = env('TAILOR_PUBLIC_KEYS');
  const handle = createTailorHandler({
    wasmModule,
    tenantFor: () => tenant,
    loadSnapshot: async (t) => {
      const bytes = await bytesOrNull(`${base(snapshotBase)}/${encodeURIComponent(t)}.tsnap`);
      if (!bytes) return null;
      const sig = await bytesOrNull(`${base(snapshotBase)}/${encodeURIComponent(t)}.sig.json`);
      return { bytes, signature: sig ? new TextDecoder().decode(sig) : undefined };
    },
    loadProfile: profileBase
      ? (t, hash) => bytesOrNull(`${base(profileBase)}/${encodeURIComponent(t)}/${hash}.tprof`)
      : () => null,
    publicKeys: keys ? keys.split(',').map((k) => Uint8Array.from(atob(k.trim()), (c) => c.charCodeAt(0))) : undefined,
    site: env('TAILOR_SITE') || undefined,
    ttlMs: Number(env('TAILOR_TTL_MS') ?? 60_000),
  });
  // Vercel's middleware context carries waitUntil (keeps a background reload alive after the
  // response); geo arrives as a header. The handler reads context.geo.country.code.
  return (request, context) => {
    const country = request.headers.get('x-vercel-ip-country');
    return handle(request, {
      waitUntil: context?.waitUntil ? (p) => context.waitUntil(p) : undefined,
      geo: country ? { country: { code: country } } : undefined,
    });
  };
}

let handler = null;

export default async function middleware(request, context) {
  // process.env is available in Vercel's Edge runtime; built once per isolate.
  handler ??= createVercelHandler((k) => globalThis.process?.env?.[k]);
  return handler(request, context);
}
