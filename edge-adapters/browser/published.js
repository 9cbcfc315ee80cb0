// The live snapshot of a tree written by `tailor publish --to dir:PATH` (docs/sync.md), as served
// by any static host or CDN:
//   <tenant>/manifest.json                        {"version","sha256","bytes","chunks",...}; serve it
//                                                 with a short cache lifetime (it is the pointer)
//   <tenant>/versions/<version>/snapshot.<i>      chunk i; immutable, cache it forever
// The chunks are fetched in parallel, joined, and checked against the manifest's size and SHA-256
// before anything uses them. With `publicKeys`, the manifest's signature envelope must carry at
// least `requiredSignatures` valid Ed25519 signatures from those keys (verifySignedSnapshot).
import { TailorError } from './emscripten_host.js';
import { parsePublicKeys, parseRequiredSignatures } from '../../js/src/keys.js';
import { verifySnapshot } from '../../js/src/verify.js';

const MAX_BYTES = 1 << 30;  // the core's snapshot cap
const MAX_CHUNKS = 1 << 20;

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

async function get(fetchFn, url, what, init) {
  let res;
  try {
    res = await fetchFn(url, init);
  } catch (err) {
    throw new TailorError('io_error', `fetching ${what} ${url}: ${err?.message ?? err}`);
  }
  if (!res.ok) throw new TailorError('io_error', `fetching ${what} ${url}: HTTP ${res.status}`);
  return res;
}

// Throws TailorError unless `bytes` carry `requiredSignatures` (default 1) valid signatures by
// `publicKeys` (comma-separated hex or base64, a JSON array, or 32-byte Uint8Arrays: the formats
// of every adapter, js/src/keys.js) in `signature` (the envelope, object or JSON text). Ed25519 is
// WebCrypto's, the verifier of @tailor/engine (js/src/verify.js). Codes: signature_missing,
// signature_invalid, signature_insufficient, digest_mismatch, signature_unsupported (a browser
// without WebCrypto Ed25519: Chrome/Chromium 137+, Firefox 129+, Safari 17+), invalid_argument.
// Resolves to the key ids whose signatures verified.
export async function verifySignedSnapshot(bytes, { publicKeys, requiredSignatures, signature, what = 'snapshot' }) {
  const keys = parsePublicKeys(publicKeys, 'publicKeys');
  if (!keys) throw new TailorError('invalid_argument', 'publicKeys is empty: give the approvers\' keys or leave it out');
  const required = parseRequiredSignatures(requiredSignatures, 'requiredSignatures') ?? 1;
  try {
    return await verifySnapshot(bytes, { publicKeys: keys, signature, requiredSignatures: required });
  } catch (err) {
    if (err instanceof TailorError) throw new TailorError(err.code, `refusing ${what}: ${err.message}`);
    if (err?.name === 'NotSupportedError' || err?.name === 'NotImplementedError')
      throw new TailorError('signature_unsupported',
        `refusing ${what}: this browser's WebCrypto cannot verify Ed25519 signatures (${err.message})`);
    throw err;
  }
}

// Resolves to {bytes, manifest, signers}. `manifestUrl` is absolute or relative to the page.
// With `publicKeys` the snapshot must be signed (verifySignedSnapshot); `signers` are the key ids.
export async function fetchPublishedSnapshot(manifestUrl, {
  fetch: fetchFn = globalThis.fetch, credentials = 'same-origin', publicKeys, requiredSignatures,
} = {}) {
  const base = typeof document !== 'undefined' ? document.baseURI : undefined;
  const url = new URL(manifestUrl, base);
  // The manifest changes at every publish: revalidate it, never serve a stale pointer.
  const res = await get(fetchFn, url, 'manifest', { cache: 'no-cache', credentials });
  let m;
  try { m = await res.json(); } catch { throw new TailorError('parse_error', `manifest ${url} is not JSON`); }
  if (!m || typeof m.version !== 'string' || !/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/.test(m.version) ||
      !Number.isInteger(m.chunks) || m.chunks < 1 || m.chunks > MAX_CHUNKS ||
      !Number.isInteger(m.bytes) || m.bytes < 0 || m.bytes > MAX_BYTES || !/^[0-9a-f]{64}$/i.test(String(m.sha256)))
    throw new TailorError('invalid_argument', `manifest ${url} is malformed (version, sha256, bytes, chunks)`);
  const parts = await Promise.all(Array.from({ length: m.chunks }, async (_, i) => {
    const r = await get(fetchFn, new URL(`versions/${m.version}/snapshot.${i}`, url), `snapshot chunk ${i}`, { credentials });
    return new Uint8Array(await r.arrayBuffer());
  }));
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (total !== m.bytes)
    throw new TailorError('snapshot_invalid', `snapshot ${m.version}: ${total} bytes, the manifest says ${m.bytes}`);
  const bytes = parts.length === 1 ? parts[0] : new Uint8Array(total);
  if (parts.length > 1) {
    let at = 0;
    for (const p of parts) { bytes.set(p, at); at += p.length; }
  }
  const digest = hex(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  if (digest !== m.sha256.toLowerCase())
    throw new TailorError('digest_mismatch', `snapshot ${m.version}: sha256 ${digest}, the manifest says ${m.sha256}`);
  // The manifest's own required_signatures is not trusted here: whoever can write the manifest
  // could lower it. The page's requiredSignatures decides.
  const signers = publicKeys === undefined ? [] : await verifySignedSnapshot(bytes, {
    publicKeys, requiredSignatures, signature: m.signature ?? null, what: `snapshot ${m.version}`,
  });
  return { bytes, manifest: m, signers };
}
