// Tailor as a Netlify Edge Function (Deno). Copy this folder to netlify/edge-functions/tailor/
// (entry: netlify_edge.js, or re-export it from netlify/edge-functions/tailor.js) and set:
//
//   TAILOR_TENANT        the tenant this site answers for (required)
//   TAILOR_SNAPSHOT_URL  origin base: GET {base}/{tenant}.tsnap and {base}/{tenant}.sig.json
//   TAILOR_PROFILE_URL   origin base for profiles: GET {base}/{tenant}/{user_hash}.tprof (404 = none)
//   TAILOR_ORIGIN_TOKEN  optional bearer token sent to both origins (keep profiles private)
//   TAILOR_WASM_URL      where tailor.wasm is served (default /tailor.wasm on this site: publish it)
//   TAILOR_PUBLIC_KEYS   approvers' Ed25519 keys: only signed snapshots load. Comma-separated
//                        64-hex keys (`tailor keys` prints them), base64 or a JSON array also work
//   TAILOR_REQUIRED_SIGNATURES  how many distinct approvers must have signed (default 1)
//   TAILOR_SITE          site used when a request names none
//   TAILOR_TTL_MS        background snapshot reload interval (60000)
//
// Country comes from Netlify's context.geo.country.code (or an `x-country` header).
import { createTailorHandler } from './handler.js';
import { urlSourceOptions } from './url_source.js';

export function createNetlifyHandler(env, { fetch: doFetch = globalThis.fetch } = {}) {
  let handler = null;
  return async (request, context) => {
    handler ??= build(env, doFetch, request.url).catch((e) => { handler = null; throw e; });
    return (await handler)(request, context);
  };
}

async function build(env, doFetch, requestUrl) {
  const options = urlSourceOptions(env, doFetch);  // validates the settings before any fetch
  const wasmUrl = new URL(env('TAILOR_WASM_URL') ?? '/tailor.wasm', requestUrl);
  const wasmResponse = await doFetch(wasmUrl);
  if (!wasmResponse.ok) throw new Error(`GET ${wasmUrl}: HTTP ${wasmResponse.status}`);
  const wasmModule = await WebAssembly.compile(await wasmResponse.arrayBuffer());
  return createTailorHandler({ wasmModule, ...options });
}

const handle = createNetlifyHandler((k) => globalThis.Netlify?.env.get(k) ?? Deno.env.get(k));

export default (request, context) => handle(request, context);

export const config = { path: '/v1/decide' };
