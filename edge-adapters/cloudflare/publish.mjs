// Publish a snapshot (and optionally its signature envelope and visitor profiles) to Workers KV in
// the layout src/worker.js reads. Works with a Miniflare KV namespace, a Worker's KV binding, or any
// object with `put(key, value)`; no Node import, so it runs in Node, Deno and Workers alike.
//
//   import { publishSnapshot, publishProfiles } from './publish.mjs';
//   await publishProfiles(kv, 'northwind', [[userHash, tprofBytes], ...]);   // before the flip
//   await publishSnapshot(kv, 'northwind', bytes, { version: 'v2', signature: envelope });
//
// Order matters: chunks first, manifest LAST. The manifest is the pointer the edge follows, so a
// reader sees either the old version or the complete new one (both versions' chunks exist while
// edges move over; delete old chunks only after KV's ~60 s propagation window).

export const KV_VALUE_LIMIT = 25 * 1024 * 1024;          // Workers KV: 25 MiB per value
export const DEFAULT_CHUNK_BYTES = KV_VALUE_LIMIT - 1024; // headroom below the limit

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export async function sha256Hex(bytes) {
  return hex(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes)));
}

// user_hash of docs/cli.md: first 32 hex of sha256(tenant + ':' + user id).
export async function userHash(tenant, user) {
  return (await sha256Hex(new TextEncoder().encode(`${tenant}:${user}`))).slice(0, 32);
}

function envChunkBytes() {
  const v = typeof process !== 'undefined' ? process.env?.TAILOR_CHUNK_BYTES : undefined;
  return v ? Number(v) : undefined;
}

// Writes snapshot:<tenant>:<version>:<i> for every chunk, then manifest:<tenant>. Returns the manifest.
// `version` defaults to the snapshot's own label only if given; it is required (the CLI prints it).
// `prefix` is the tenant's kv_prefix (TAILOR_TENANT_SETTINGS in the Worker; default none).
export async function publishSnapshot(kv, tenant, bytes, { version, signature = null, chunkBytes,
  publishedAt = new Date().toISOString(), prefix = '' } = {}) {
  if (!kv || typeof kv.put !== 'function') throw new TypeError('publishSnapshot: kv must have put(key, value)');
  if (typeof tenant !== 'string' || !tenant) throw new TypeError('publishSnapshot: tenant is required');
  if (typeof version !== 'string' || !version) throw new TypeError('publishSnapshot: version is required');
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const size = chunkBytes ?? envChunkBytes() ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(size) || size < 1 || size > KV_VALUE_LIMIT)
    throw new RangeError(`publishSnapshot: chunk size must be 1..${KV_VALUE_LIMIT} bytes`);
  const envelope = typeof signature === 'string' ? JSON.parse(signature)
    : signature instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(signature)) : signature;
  const chunks = Math.max(1, Math.ceil(data.length / size));
  for (let i = 0; i < chunks; i++) {
    // A copy per chunk: some KV clients keep a reference or transfer the buffer.
    await kv.put(`${prefix}snapshot:${tenant}:${version}:${i}`, data.slice(i * size, (i + 1) * size));
  }
  const manifest = { version, sha256: await sha256Hex(data), bytes: data.length, chunks,
    signature: envelope ?? null, published_at: publishedAt };
  await kv.put(`${prefix}manifest:${tenant}`, JSON.stringify(manifest));
  return manifest;
}

// profiles: a Map or an iterable of [userHash, bytes] (userHash = the .tprof file name without
// the extension, as `tailor profiles --out` writes them). Returns the count written.
export async function publishProfiles(kv, tenant, profiles, { prefix = '' } = {}) {
  let n = 0;
  for (const [hash, bytes] of profiles) {
    if (!/^[0-9a-f]{32}$/.test(hash)) throw new TypeError(`publishProfiles: ${hash} is not a user_hash`);
    await kv.put(`${prefix}profile:${tenant}:${hash}`, bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
    n++;
  }
  return n;
}

// Both in the right order: profiles, then the snapshot chunks, then the manifest.
export async function publish(kv, tenant, { bytes, version, signature, profiles, chunkBytes, publishedAt } = {}) {
  const profileCount = profiles ? await publishProfiles(kv, tenant, profiles) : 0;
  const manifest = await publishSnapshot(kv, tenant, bytes, { version, signature, chunkBytes, publishedAt });
  return { manifest, profiles: profileCount };
}
