// The Worker's module graph and Miniflare options, as wrangler would bundle it: worker.js, the
// package's runtime-neutral sources (js/src/index.js and what it imports) and tailor.wasm as a
// CompiledWasm module. Used by the tests and by `scripts/demo` (the local edge in real workerd).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const adapterDir = dirname(fileURLToPath(import.meta.url));
export const repoDir = resolve(adapterDir, '../..');

export function workerModules(wasmPath) {
  // Absolute paths under modulesRoot: Miniflare names them relative to the repo whatever the cwd
  // (relative ones are taken from the cwd, and workerd refuses names that climb out with "..").
  const entry = join(adapterDir, 'src/worker.js');
  const mods = [{ type: 'ESModule', path: entry, contents: readFileSync(entry, 'utf8') }];
  const seen = new Set();
  const follow = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    if (file !== entry) mods.push({ type: 'ESModule', path: file, contents: text });
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+\.js)['"]/gm)) follow(resolve(dirname(file), m[1]));
  };
  follow(entry);
  mods.push({ type: 'CompiledWasm', path: join(adapterDir, 'src/tailor.wasm'), contents: readFileSync(wasmPath) });
  return mods;
}

// Miniflare options for one Worker with the TAILOR_KV namespace. `bindings` are the [vars];
// `kvPersist` a folder for an on-disk KV (in memory when absent); `port` serves on 127.0.0.1.
export function workerOptions({ wasmPath, bindings = {}, kvPersist, port } = {}) {
  const opts = { modules: workerModules(wasmPath), modulesRoot: repoDir, compatibilityDate: '2025-09-01',
    kvNamespaces: ['TAILOR_KV'], bindings };
  if (kvPersist) opts.kvPersist = kvPersist;
  if (port !== undefined) Object.assign(opts, { host: '127.0.0.1', port });
  return opts;
}

// The local edge's publishing API: the Cloudflare KV API subset (kv-api.mjs) on 127.0.0.1:`port`
// over the Worker's own TAILOR_KV namespace, so `tailor publish --to local:<url>` writes exactly
// what the Worker reads (account "local", namespace "TAILOR_KV"). `token` (optional) is then
// required as a Bearer token (TAILOR_LOCAL_EDGE_TOKEN on the publishing side).
export async function startLocalEdgeApi(mf, { port = 8788, token } = {}) {
  const { fromKvNamespace, startKvApi } = await import('./kv-api.mjs');
  const kv = fromKvNamespace(await mf.getKVNamespace('TAILOR_KV'));
  return startKvApi({ namespaces: { TAILOR_KV: kv }, accountId: 'local', token }, { port });
}
