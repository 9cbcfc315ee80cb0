// Handler options for runtimes that read snapshots and profiles over HTTP from an origin or a
// blob store (Netlify Edge, Vercel Edge). env: (name) => string | undefined.
//
//   TAILOR_TENANT        the tenant answered for (required)
//   TAILOR_SNAPSHOT_URL  GET {base}/{tenant}.tsnap and {base}/{tenant}.sig.json (404 = none)
//   TAILOR_PROFILE_URL   GET {base}/{tenant}/{user_hash}.tprof (404 = anonymous)
//   TAILOR_ORIGIN_TOKEN  optional bearer token sent to both
//   TAILOR_PUBLIC_KEYS   approvers' Ed25519 keys: only signed snapshots load. Comma-separated
//                        64-hex keys (`tailor keys` prints them), base64 or a JSON array also work
//   TAILOR_REQUIRED_SIGNATURES  how many distinct approvers must have signed (default 1)
//   TAILOR_SITE, TAILOR_TTL_MS
import { parsePublicKeys, parseRequiredSignatures } from '../../js/src/index.js';

export function urlSourceOptions(env, doFetch = globalThis.fetch) {
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
  const publicKeys = parsePublicKeys(env('TAILOR_PUBLIC_KEYS'), 'TAILOR_PUBLIC_KEYS');
  const requiredSignatures = parseRequiredSignatures(env('TAILOR_REQUIRED_SIGNATURES'), 'TAILOR_REQUIRED_SIGNATURES');
  return {
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
    publicKeys,
    requiredSignatures,
    site: env('TAILOR_SITE') || undefined,
    ttlMs: Number(env('TAILOR_TTL_MS') ?? 60_000),
  };
}
