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
//   TAILOR_PUBLIC_KEYS   approvers' Ed25519 keys: only signed snapshots load. Comma-separated
//                        64-hex keys (`tailor keys` prints them), base64 or a JSON array also work
//   TAILOR_REQUIRED_SIGNATURES  how many distinct approvers must have signed (default 1)
//   TAILOR_SITE          site used when a request names none
//   TAILOR_TTL_MS        background snapshot reload interval (60000)
//
// tailor.wasm is imported with `?module`: Vercel compiles it at deploy time and hands over a
// WebAssembly.Module (the Edge runtime refuses WebAssembly.compile of bytes at run time).
// Country comes from Vercel's `x-vercel-ip-country` header (or `x-country`).
import wasm from './tailor.wasm?module';
import { createTailorHandler } from '../deno/handler.js';
import { urlSourceOptions } from '../deno/url_source.js';

export const config = { matcher: ['/v1/decide'] };

// env: (name) => string | undefined. Options for tests: fetch, wasmModule.
export function createVercelHandler(env, { fetch: doFetch = globalThis.fetch, wasmModule = wasm } = {}) {
  const handle = createTailorHandler({ wasmModule, ...urlSourceOptions(env, doFetch) });

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
