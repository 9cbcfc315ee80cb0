// Tailor on Deno Deploy (or any `deno run`): Deno.serve + the handler, snapshots and profiles
// from Deno KV or from static files, configured by environment variables.
//
//   TAILOR_TENANT        the tenant this deployment answers for (required)
//   TAILOR_SOURCE        `kv` (default) or `files`
//   TAILOR_DIR           files: directory holding <tenant>.tsnap, <tenant>.sig.json and
//                        profiles/<tenant>/<user_hash>.tprof (default ./data beside this file)
//   TAILOR_KV            kv: Deno.openKv path/URL (default: the deployment's database)
//   TAILOR_WASM          path of tailor.wasm (default ./tailor.wasm beside this file)
//   TAILOR_PUBLIC_KEYS   approvers' Ed25519 keys: only signed snapshots load. Comma-separated
//                        64-hex keys (`tailor keys` prints them), base64 or a JSON array also work
//   TAILOR_REQUIRED_SIGNATURES  how many distinct approvers must have signed (default 1)
//   TAILOR_SITE          site used when a request names none
//   TAILOR_TTL_MS        how often a request may trigger a background snapshot reload (60000)
//   PORT / HOSTNAME      for `deno run` (Deno Deploy ignores them)
//
// KV layout (values are capped at 64 KiB, so a snapshot is stored in chunks; see putSnapshot):
//   ['tailor', tenant, 'snapshot']               {version, chunks, signature?}
//   ['tailor', tenant, 'chunk', version, i]      Uint8Array, i = 0..chunks-1
//   ['tailor', tenant, 'profile', user_hash]     Uint8Array (.tprof, < 64 KiB)
import { createTailorHandler } from './handler.js';
import { parsePublicKeys, parseRequiredSignatures } from '../../js/src/index.js';

const KV_CHUNK = 60 * 1024;

// The settings above that are not about storage, checked before anything is loaded.
export function deploySettings(env) {
  const tenant = env('TAILOR_TENANT');
  if (!tenant) throw new Error('TAILOR_TENANT is not set');
  return {
    tenant,
    publicKeys: parsePublicKeys(env('TAILOR_PUBLIC_KEYS'), 'TAILOR_PUBLIC_KEYS'),
    requiredSignatures: parseRequiredSignatures(env('TAILOR_REQUIRED_SIGNATURES'), 'TAILOR_REQUIRED_SIGNATURES'),
    site: env('TAILOR_SITE') || undefined,
    ttlMs: Number(env('TAILOR_TTL_MS') ?? 60_000),
  };
}

export async function createDeployHandler(env = (k) => Deno.env.get(k), { kv } = {}) {
  const { tenant, publicKeys, requiredSignatures, site, ttlMs } = deploySettings(env);
  const wasmPath = env('TAILOR_WASM') ?? new URL('./tailor.wasm', import.meta.url);
  const wasmModule = await WebAssembly.compile(await Deno.readFile(wasmPath));
  const source = env('TAILOR_SOURCE') ?? 'kv';
  let store;
  if (source === 'files') store = fileStore(env('TAILOR_DIR') ?? new URL('./data/', import.meta.url).pathname);
  else if (source === 'kv') store = kvStore(kv ?? await Deno.openKv(env('TAILOR_KV') || undefined));
  else throw new Error(`TAILOR_SOURCE must be kv or files, not ${source}`);
  return createTailorHandler({
    wasmModule,
    tenantFor: () => tenant,
    loadSnapshot: store.snapshot,
    loadProfile: store.profile,
    publicKeys,
    requiredSignatures,
    site,
    ttlMs,
  });
}

export function fileStore(dir) {
  const at = (name) => `${dir.replace(/\/$/, '')}/${name}`;
  return {
    snapshot: async (tenant) => {
      const bytes = await readOrNull(at(`${tenant}.tsnap`));
      if (!bytes) return null;
      const sig = await readOrNull(at(`${tenant}.sig.json`));
      return { bytes, signature: sig ? new TextDecoder().decode(sig) : undefined };
    },
    profile: (tenant, hash) => readOrNull(at(`profiles/${tenant}/${hash}.tprof`)),
  };
}

export function kvStore(kv) {
  return {
    snapshot: async (tenant) => {
      const meta = (await kv.get(['tailor', tenant, 'snapshot'])).value;
      if (!meta) return null;
      const parts = [];
      for await (const e of kv.list({ prefix: ['tailor', tenant, 'chunk', meta.version] })) parts[e.key[4]] = e.value;
      if (parts.length !== meta.chunks || parts.some((p) => !(p instanceof Uint8Array)))
        throw new Error(`KV snapshot ${tenant}@${meta.version}: ${parts.length} of ${meta.chunks} chunks`);
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let off = 0;
      for (const p of parts) { bytes.set(p, off); off += p.length; }
      return { bytes, signature: meta.signature };
    },
    profile: async (tenant, hash) => (await kv.get(['tailor', tenant, 'profile', hash])).value ?? null,
  };
}

// Publishes a snapshot to KV: chunks first, then the pointer in one atomic set, so readers see
// the old version or the new one, never a mix. Old chunks are left for you to delete.
export async function putSnapshot(kv, tenant, version, bytes, signature, { chunkBytes = KV_CHUNK } = {}) {
  if (!(chunkBytes > 0 && chunkBytes <= KV_CHUNK)) throw new RangeError(`chunkBytes must be 1..${KV_CHUNK}`);
  const chunks = Math.ceil(bytes.length / chunkBytes);
  for (let i = 0; i < chunks; i += 8) {
    const op = kv.atomic();
    for (let j = i; j < Math.min(i + 8, chunks); j++)
      op.set(['tailor', tenant, 'chunk', version, j], bytes.subarray(j * chunkBytes, (j + 1) * chunkBytes));
    if (!(await op.commit()).ok) throw new Error('KV commit failed');
  }
  await kv.set(['tailor', tenant, 'snapshot'], { version, chunks, ...(signature ? { signature } : {}) });
}

async function readOrNull(path) {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

if (import.meta.main) {
  const handler = await createDeployHandler();
  Deno.serve({ port: Number(Deno.env.get('PORT') ?? 8000), hostname: Deno.env.get('HOSTNAME') ?? '0.0.0.0' }, handler);
}
