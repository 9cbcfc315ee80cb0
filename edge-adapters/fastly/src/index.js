/// <reference types="@fastly/js-compute" />
// Tailor on Fastly Compute (JavaScript, @fastly/js-compute): `POST /v1/decide` with the same HTTP
// behaviour as every Tailor adapter (edge-adapters/deno/handler.js: createTailorHandler).
//
// The engine: Fastly's JS runtime has no `WebAssembly` global (checked with js-compute 3.46.0:
// `typeof WebAssembly === 'undefined'` during the build's Wizer initialisation), so neither
// `import wasm from './tailor.wasm'` nor includeBytes + WebAssembly.compile can work. tailor.wasm
// (scalar build) is translated to JavaScript at build time (scripts/wasm2js.mjs) and run
// through a minimal WebAssembly facade (src/webassembly_facade.js). The translated code is
// parsed and the handler built during Wizer initialisation, so requests start warm.
//
// Data: KV Store `tailor` (fastly.toml [setup]/[local_server]):
//   snapshot/<tenant>.tsnap        the snapshot bytes (KV values up to 25 MB)
//   snapshot/<tenant>.sig.json     optional signature envelope (js/README.md, Signatures)
//   profile/<tenant>/<user_hash>.tprof
// Settings: Config Store `tailor_config` (src/settings.js): tenant (required), site, public_keys
// (approvers' keys: comma-separated 64-hex as `tailor keys` prints them, or base64),
// required_signatures, ttl_ms. Country: the client's geolocation (event.client.geo).
import { KVStore } from 'fastly:kv-store';
import { ConfigStore } from 'fastly:config-store';
import { installWebAssemblyFacade } from './webassembly_facade.js';
import { createTailorHandler } from '../../deno/handler.js';
import { CONFIG_NAME, fastlySettings } from './settings.js';

const wasmModule = installWebAssemblyFacade();   // at initialisation (Wizer), not per request

const KV_NAME = 'tailor';

export function createFastlyHandler({ kv, config }) {
  const { tenant, publicKeys, requiredSignatures, site, ttlMs } = fastlySettings((k) => config.get(k) ?? undefined);
  const bytesOrNull = async (key) => {
    const entry = await kv.get(key);
    return entry ? new Uint8Array(await entry.arrayBuffer()) : null;
  };
  return createTailorHandler({
    wasmModule,
    tenantFor: () => tenant,
    loadSnapshot: async (t) => {
      const bytes = await bytesOrNull(`snapshot/${t}.tsnap`);
      if (!bytes) return null;
      const sig = await kv.get(`snapshot/${t}.sig.json`);
      return { bytes, signature: sig ? await sig.text() : undefined };
    },
    loadProfile: (t, hash) => bytesOrNull(`profile/${t}/${hash}.tprof`),
    publicKeys,
    requiredSignatures,
    site,
    ttlMs,
  });
}

let handler = null;   // per instance, built on the first request (no host calls during Wizer initialisation)

addEventListener('fetch', (event) => event.respondWith(handle(event)));

async function handle(event) {
  try {
    handler ??= createFastlyHandler({ kv: new KVStore(KV_NAME), config: new ConfigStore(CONFIG_NAME) });
  } catch (e) {
    return new Response(JSON.stringify({ error: { code: 'internal', message: String(e?.message ?? e) } }),
      { status: 500, headers: { 'content-type': 'application/json; charset=utf-8' } });
  }
  const country = event.client?.geo?.country_code;
  return handler(event.request, {
    waitUntil: (p) => event.waitUntil(p),
    geo: country ? { country: { code: country } } : undefined,
  });
}
