// SnapshotCache: one engine per tenant, kept on the newest published snapshot version.
//
// The first request for a tenant waits for its load. After that a request never waits on the
// origin: once the TTL has passed, the next request starts ONE background refresh (concurrent
// requests share it) and is answered by the engine as it is. A refresh that finds a new version
// loads it into the same engine (the core swaps atomically); a failed one keeps the old version
// serving, records `lastError` and is retried after another TTL.
//
// Tenants are isolated: each has its own engine (its own wasm instance and heap), created with
// `createEngine(tenant)`, and every snapshot is loaded "for" its tenant, so a snapshot of tenant B
// (even one validly signed with B's keys, even one stored under A's keys) is refused for A before
// it is activated; A keeps serving what it had. `publicKeys` can be per tenant (a function).
import { TailorError } from './errors.js';
import { sha256Hex } from './verify.js';

export class SnapshotCache {
  #o;
  #entries = new Map();

  constructor({ fetchManifest, fetchSnapshot, createEngine, ttlMs = 60_000, publicKeys, requiredSignatures,
    now = Date.now } = {}) {
    for (const [name, fn] of Object.entries({ fetchManifest, fetchSnapshot, createEngine }))
      if (typeof fn !== 'function') throw new TailorError('invalid_argument', `SnapshotCache: ${name} must be a function`);
    this.#o = { fetchManifest, fetchSnapshot, createEngine, ttlMs, publicKeys, requiredSignatures, now };
  }

  // The tenant's engine. `waitUntil` (e.g. a Worker's ctx.waitUntil) keeps a background refresh
  // alive after the response has been sent.
  async engineFor(tenant, { waitUntil } = {}) {
    const entry = this.#entries.get(tenant) ?? this.#firstLoad(tenant);
    if (entry.loading) await entry.loading;
    if (!entry.refreshing && this.#o.now() - entry.checkedAt >= this.#o.ttlMs) {
      entry.refreshing = this.#update(tenant, entry, entry.engine)
        .catch((err) => {
          entry.lastError = err;
          entry.checkedAt = this.#o.now();
        })
        .finally(() => { entry.refreshing = null; });
      waitUntil?.(entry.refreshing);
    }
    return entry.engine;
  }

  // What is serving for `tenant`, or undefined before its first successful load.
  status(tenant) {
    const e = this.#entries.get(tenant);
    if (!e || e.loading) return undefined;
    return { version: e.version, snapshot: e.snapshot, loadedAt: e.loadedAt, checkedAt: e.checkedAt,
      refreshing: e.refreshing !== null, lastError: e.lastError };
  }

  #firstLoad(tenant) {
    const entry = { engine: null, version: null, snapshot: null, loadedAt: 0, checkedAt: 0, lastError: null,
      refreshing: null, loading: null };
    entry.loading = (async () => {
      const engine = await this.#o.createEngine(tenant);
      try {
        await this.#update(tenant, entry, engine);
      } catch (err) {
        engine.dispose();
        throw err;
      }
      entry.engine = engine;
      entry.loading = null;
    })();
    // A failed first load is forgotten, so the next request tries again.
    entry.loading.catch(() => this.#entries.delete(tenant));
    this.#entries.set(tenant, entry);
    return entry;
  }

  async #update(tenant, entry, engine) {
    const { fetchManifest, fetchSnapshot, publicKeys, requiredSignatures, now } = this.#o;
    const manifest = await fetchManifest(tenant);
    if (typeof manifest?.version !== 'string')
      throw new TailorError('invalid_argument', `manifest of ${tenant} has no version`);
    if (manifest.version !== entry.version) {
      const { bytes, signature } = await fetchSnapshot(tenant, manifest.version);
      if (manifest.sha256 !== undefined) {
        const hex = await sha256Hex(bytes);
        if (hex !== String(manifest.sha256).toLowerCase())
          throw new TailorError('digest_mismatch', `snapshot ${tenant}@${manifest.version}: sha256 ${hex}, manifest says ${manifest.sha256}`);
      }
      const keys = typeof publicKeys === 'function' ? await publicKeys(tenant) : publicKeys;
      const required = typeof requiredSignatures === 'function' ? requiredSignatures(tenant) : requiredSignatures;
      entry.snapshot = await engine.loadSnapshot(bytes, keys ? { publicKeys: keys, signature, requiredSignatures: required, tenant }
        : { tenant });
      entry.version = manifest.version;
      entry.loadedAt = now();
    }
    entry.checkedAt = now();
    entry.lastError = null;
  }
}
