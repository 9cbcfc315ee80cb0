// SnapshotCache against a fake origin and a fake clock, with real engines and snapshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SnapshotCache, TailorError, createEngine } from '../../js/src/index.js';
import { basicsRequest, buildSnapshot, envelope, newEngine, newSigner, sha256Hex, tempDir, wasmModule } from './helpers.mjs';

const dir = tempDir();
const snapshots = {
  v1: buildSnapshot('basics', join(dir, 'v1.tsnap')),
  v2: buildSnapshot('basics', join(dir, 'v2.tsnap'), { version: 'v2' }),
};
const TTL = 60_000;
const T = 'conf-basics'; // the tenant id in the basics case's tailor.json
const isCode = (code) => (e) => e instanceof TailorError && e.code === code;
const version = (engine) => engine.decide(basicsRequest).snapshot.version;

// An origin publishing `current`; `hold()` makes the next manifest fetch wait for `release()`.
function fakeOrigin({ current = 'v1', sign } = {}) {
  const o = {
    current, manifests: 0, fetched: [], failSnapshot: null, sha256: null, gate: null,
    hold() { let release; o.gate = new Promise((r) => { release = r; }); o.release = release; },
    async fetchManifest() {
      o.manifests++;
      if (o.failManifest) throw new Error('origin down');
      const gate = o.gate;
      o.gate = null;
      await gate;
      return { version: o.current, sha256: o.sha256 ?? sha256Hex(snapshots[o.current]) };
    },
    async fetchSnapshot(tenant, v) {
      o.fetched.push(v);
      if (o.failSnapshot) throw o.failSnapshot;
      return { bytes: snapshots[v], signature: sign ? await sign(snapshots[v]) : undefined };
    },
  };
  return o;
}

function setup(originOptions, cacheOptions = {}) {
  const origin = fakeOrigin(originOptions);
  const clock = { t: 0 };
  let engines = 0;
  const refreshes = [];
  const cache = new SnapshotCache({
    fetchManifest: origin.fetchManifest, fetchSnapshot: origin.fetchSnapshot, ttlMs: TTL, now: () => clock.t,
    createEngine: () => { engines++; return newEngine(); }, ...cacheOptions,
  });
  const get = (tenant = T) => cache.engineFor(tenant, { waitUntil: (p) => refreshes.push(p) });
  return { origin, clock, cache, get, refreshes, engines: () => engines };
}

test('the first call loads; calls within the TTL never ask the origin', async () => {
  const { origin, clock, cache, get } = setup();
  const engine = await get();
  assert.equal(version(engine), 'v1');
  assert.deepEqual(cache.status(T), { version: 'v1', snapshot: engine.snapshotInfo(), loadedAt: 0, checkedAt: 0,
    refreshing: false, lastError: null });
  clock.t = TTL - 1;
  assert.equal(await get(), engine);
  assert.equal(origin.manifests, 1);
});

test('after the TTL one background refresh, shared by concurrent callers, swaps in the new version', async () => {
  const { origin, clock, cache, get, refreshes } = setup();
  const engine = await get();
  origin.current = 'v2';
  origin.hold();
  clock.t = TTL;
  // Nobody waits on the held origin: all five get the engine still serving v1.
  const got = await Promise.all([get(), get(), get(), get(), get()]);
  assert.ok(got.every((e) => e === engine));
  assert.equal(version(engine), 'v1');
  assert.equal(origin.manifests, 2);
  assert.equal(refreshes.length, 1);
  assert.equal(cache.status(T).refreshing, true);

  origin.release();
  await refreshes[0];
  assert.equal(await get(), engine);
  assert.equal(version(engine), 'v2');
  assert.deepEqual(origin.fetched, ['v1', 'v2']);
  assert.equal(cache.status(T).version, 'v2');
  assert.equal(cache.status(T).refreshing, false);
});

test('a refresh that finds the same version fetches nothing and restarts the TTL', async () => {
  const { origin, clock, cache, get, refreshes } = setup();
  const engine = await get();
  clock.t = TTL + 5;
  await get();
  await refreshes[0];
  assert.deepEqual(origin.fetched, ['v1']);
  assert.equal(cache.status(T).checkedAt, TTL + 5);
  assert.equal(cache.status(T).loadedAt, 0);
  clock.t = 2 * TTL;
  assert.equal(await get(), engine);
  assert.equal(origin.manifests, 2);
});

test('a failed refresh keeps the old version serving, records lastError and retries after the TTL', async () => {
  const { origin, clock, cache, get, refreshes } = setup();
  const engine = await get();
  origin.current = 'v2';
  const failures = [
    [() => { origin.failManifest = true; }, (e) => e.message === 'origin down'],
    [() => { origin.failSnapshot = new Error('404'); }, (e) => e.message === '404'],
    [() => { origin.sha256 = sha256Hex(snapshots.v1); }, isCode('digest_mismatch')],
  ];
  for (const [i, [breakOrigin, expected]] of failures.entries()) {
    Object.assign(origin, { failManifest: false, failSnapshot: null, sha256: null });
    breakOrigin();
    clock.t += TTL;
    await get();
    await refreshes[i];
    assert.ok(expected(cache.status(T).lastError), `failure ${i}: ${cache.status(T).lastError}`);
    assert.equal(version(engine), 'v1');
    assert.equal(cache.status(T).version, 'v1');
    assert.equal(cache.status(T).checkedAt, clock.t);
  }
  Object.assign(origin, { failManifest: false, failSnapshot: null, sha256: null });
  clock.t += TTL - 1;
  await get();
  assert.equal(refreshes.length, failures.length, 'no retry before the TTL has passed again');
  clock.t += 1;
  await get();
  await refreshes.at(-1);
  assert.equal(version(engine), 'v2');
  assert.equal(cache.status(T).lastError, null);
});

test('concurrent first calls share one load; a failed first load is not cached', async () => {
  const { origin, get, cache, engines } = setup();
  origin.failManifest = true;
  const first = await Promise.allSettled([get(), get(), get()]);
  assert.ok(first.every((r) => r.status === 'rejected' && r.reason.message === 'origin down'));
  assert.equal(origin.manifests, 1);
  assert.equal(cache.status(T), undefined);
  origin.failManifest = false;
  const [a, b] = await Promise.all([get(), get()]);
  assert.equal(a, b);
  assert.equal(engines(), 2);
  assert.equal(version(a), 'v1');
});

test('tenants get separate engines, each bound to its tenant', async () => {
  const other = buildSnapshot('int8', join(dir, 'int8.tsnap'));
  const asked = [];
  const cache = new SnapshotCache({
    fetchManifest: async (tenant) => ({ version: 'v1' }),
    fetchSnapshot: async (tenant) => ({ bytes: tenant === 'conf-int8' ? other : snapshots.v1 }),
    createEngine: (tenant) => { asked.push(tenant); return createEngine({ module: wasmModule, tenant }); },
  });
  const [a, b] = await Promise.all([cache.engineFor(T), cache.engineFor('conf-int8')]);
  assert.notEqual(a, b);
  assert.deepEqual(asked.sort(), ['conf-basics', 'conf-int8']);
  assert.equal(a.tenant, T);
  assert.equal(b.snapshotInfo().tenant, 'conf-int8');
  a.dispose();
  assert.equal(b.snapshotInfo().tenant, 'conf-int8');
});

test("a snapshot of another tenant is refused before activation, even validly signed by that tenant", async () => {
  const other = buildSnapshot('int8', join(dir, 'int8-b.tsnap'));
  const [alice, bob] = [await newSigner(), await newSigner()];
  const keys = { [T]: [alice.raw], 'conf-int8': [bob.raw] };
  const clock = { t: 0 };
  const refreshes = [];
  // The origin (or a mistaken publish) serves tenant B's snapshot, signed by B, under A's name.
  let serveB = true;
  const cache = new SnapshotCache({
    ttlMs: TTL, now: () => clock.t,
    publicKeys: (tenant) => keys[tenant],
    fetchManifest: async () => ({ version: serveB ? 'b1' : 'v1' }),
    fetchSnapshot: async () => serveB ? { bytes: other, signature: await envelope(other, [bob]) }
      : { bytes: snapshots.v1, signature: await envelope(snapshots.v1, [alice]) },
    createEngine: (tenant) => createEngine({ module: wasmModule, tenant }),
  });
  // Signed by a key B trusts but A does not: refused by the signature check.
  await assert.rejects(cache.engineFor(T), isCode('signature_invalid'));
  // Signed with A's key too: the signature passes, the tenant check refuses it.
  keys[T] = [alice.raw, bob.raw];
  await assert.rejects(cache.engineFor(T), isCode('tenant_mismatch'));
  assert.equal(cache.status(T), undefined);
  serveB = false;
  const engine = await cache.engineFor(T, { waitUntil: (p) => refreshes.push(p) });
  assert.equal(version(engine), 'v1');
  // A later refresh to B's snapshot keeps A's version serving and records why.
  serveB = true;
  clock.t = TTL;
  await cache.engineFor(T, { waitUntil: (p) => refreshes.push(p) });
  await refreshes[0];
  assert.ok(isCode('tenant_mismatch')(cache.status(T).lastError), String(cache.status(T).lastError));
  assert.equal(engine.snapshotInfo().tenant, T);
  assert.equal(version(engine), 'v1');
});

test('with publicKeys only snapshots signed by a trusted key are loaded', async () => {
  const [alice, mallory] = [await newSigner(), await newSigner()];
  let signer = alice;
  const keysAsked = [];
  const { origin, clock, cache, get, refreshes } = setup({ sign: (bytes) => envelope(bytes, [signer]) },
    { publicKeys: (tenant) => { keysAsked.push(tenant); return [alice.raw]; } });
  const engine = await get();
  assert.equal(version(engine), 'v1');
  assert.deepEqual(keysAsked, [T]);

  origin.current = 'v2';
  signer = mallory;
  clock.t = TTL;
  await get();
  await refreshes[0];
  assert.ok(isCode('signature_invalid')(cache.status(T).lastError));
  assert.equal(version(engine), 'v1');

  signer = alice;
  clock.t = 2 * TTL;
  await get();
  await refreshes[1];
  assert.equal(version(engine), 'v2');
});

test('the constructor checks its callbacks', () => {
  assert.throws(() => new SnapshotCache({ fetchManifest: async () => ({}) }), isCode('invalid_argument'));
});
