// Multi-tenant isolation in real workerd: one Worker serves two tenants, routed by host name and
// by host + path prefix (TAILOR_TENANTS), each with its own engine, KV namespace/prefix and public
// keys (TAILOR_TENANT_SETTINGS). A request for tenant A never sees B's items, prices or profiles;
// B's snapshot, even validly signed by B, is refused for A; a request naming B at A's host is
// refused; one tenant's bad snapshot does not disturb the other.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare, buildCase, caseDir, decide, envelope, newSigner, publishProfiles, publishSnapshot, tempDir, userHash,
  workerOptions } from './helpers.mjs';

const A = 'conf-basics';
const B = 'conf-int8';
const HOST_A = 'a.example.test';
const HOST_B = 'b.example.test';
const GROUP = 'group.example.test';  // path routes: /a/... -> A, /b/... -> B
const REQ_A = { site: 'us', now: 1764000000, slots: ['home'] };
const REQ_B = { now: 1764000000, slots: ['similar'] };
const EXPECTED_A = readFileSync(join(caseDir('basics'), 'vectors/home-us.expected.json'), 'utf8').replace(/\n$/, '');
let a, b, alice, bob;

before(async () => {
  const dir = tempDir();
  a = buildCase('basics', dir);
  b = buildCase('int8', dir);
  [alice, bob] = [await newSigner(), await newSigner()];
});

const itemsOf = (c) => new Set(readFileSync(join(caseDir(c), c === 'basics' ? 'items.csv' : 'items.ndjson'), 'utf8')
  .split('\n').filter(Boolean).map((l) => (l.startsWith('{') ? JSON.parse(l).id : l.split(',')[0])).filter((id) => id !== 'id'));

// A Worker whose tenant B lives in its own KV namespace (TAILOR_KV_B) under the prefix "b/".
async function start({ keysA = [alice], keysB = [bob] } = {}) {
  const opts = workerOptions({
    TAILOR_TENANTS: JSON.stringify({ [HOST_A]: A, [HOST_B]: { tenant: B }, [`${GROUP}/a`]: { tenant: A, site: 'us' },
      [`${GROUP}/b`]: B }),
    TAILOR_TENANT_SETTINGS: JSON.stringify({
      [A]: { public_keys: keysA.map((k) => k.hex) },
      [B]: { public_keys: keysB.map((k) => k.hex), kv: 'TAILOR_KV_B', kv_prefix: 'b/' },
    }),
  });
  opts.kvNamespaces = ['TAILOR_KV', 'TAILOR_KV_B'];
  const mf = new Miniflare(opts);
  await mf.ready;
  return { mf, kvA: await mf.getKVNamespace('TAILOR_KV'), kvB: await mf.getKVNamespace('TAILOR_KV_B'), dispose: () => mf.dispose() };
}

async function withWorker(options, fn) {
  const w = await start(options);
  try { await fn(w); } finally { await w.dispose(); }
}

async function publishBoth({ kvA, kvB }) {
  await publishSnapshot(kvA, A, a.bytes, { version: 'a1', signature: await envelope(a.bytes, [alice]) });
  await publishSnapshot(kvB, B, b.bytes, { version: 'b1', signature: await envelope(b.bytes, [bob]), prefix: 'b/' });
}

test("each host sees only its own tenant's items and prices, by host and by path prefix", async () => {
  await withWorker({}, async (w) => {
    await publishBoth(w);
    const ra = await decide(w.mf, HOST_A, REQ_A);
    assert.equal(ra.status, 200, ra.text);
    assert.equal(ra.text, EXPECTED_A, 'A decides exactly as the conformance vector says');
    const rb = await decide(w.mf, HOST_B, REQ_B);
    assert.equal(rb.status, 200, rb.text);
    assert.equal(rb.json.tenant, B);
    const [idsA, idsB] = [itemsOf('basics'), itemsOf('int8')];
    for (const it of ra.json.slots[0].items) assert.ok(idsA.has(it.id) && !idsB.has(it.id), `A saw ${it.id}`);
    for (const it of rb.json.slots[0].items) assert.ok(idsB.has(it.id) && !idsA.has(it.id), `B saw ${it.id}`);
    assert.ok(ra.json.slots[0].items.every((it) => typeof it.price === 'number'), 'A has prices');
    assert.ok(rb.json.slots[0].items.every((it) => !it.price), "B's catalog has no prices (0), and A's never leak in");
    // Path routes on a shared host: the same engines, the path's tenant and default site.
    const pa = await decide(w.mf, `${GROUP}/a`, { now: 1764000000, slots: ['home'] });
    assert.equal(pa.status, 200, pa.text);
    assert.equal(pa.json.tenant, A);
    assert.equal(pa.json.site, 'us');
    const pb = await decide(w.mf, `${GROUP}/b`, REQ_B);
    assert.equal(pb.status, 200, pb.text);
    assert.equal(pb.json.tenant, B);
    const none = await decide(w.mf, `${GROUP}/c`, REQ_B);
    assert.equal(none.status, 400, none.text);
  });
});

test("a request naming tenant B at A's host (or A's path) is refused", async () => {
  await withWorker({}, async (w) => {
    await publishBoth(w);
    for (const host of [HOST_A, `${GROUP}/a`]) {
      const r = await decide(w.mf, host, { ...REQ_B, tenant: B });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, 'invalid_argument');
      assert.match(r.json.error.message, /conf-basics/);
      assert.doesNotMatch(r.text, /"items"/);
    }
    assert.equal((await decide(w.mf, HOST_A, { ...REQ_A, tenant: A })).status, 200);
  });
});

test("B's snapshot is refused for A even when validly signed by B, and A keeps serving", async () => {
  await withWorker({}, async (w) => {
    // Stored under A's keys, signed by B's key: A does not trust B's key.
    await publishSnapshot(w.kvA, A, b.bytes, { version: 'x1', signature: await envelope(b.bytes, [bob]) });
    let r = await decide(w.mf, HOST_A, REQ_A);
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'signature_invalid');
  });
  // Even if A's operator trusted B's key too (one approver for both), the tenant check refuses it.
  await withWorker({ keysA: [alice, bob] }, async (w) => {
    await publishSnapshot(w.kvA, A, b.bytes, { version: 'x1', signature: await envelope(b.bytes, [bob]) });
    let r = await decide(w.mf, HOST_A, REQ_A);
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'tenant_mismatch');
    assert.match(r.json.error.message, /conf-int8/);
    await publishSnapshot(w.kvA, A, a.bytes, { version: 'a1', signature: await envelope(a.bytes, [alice]) });
    r = await decide(w.mf, HOST_A, REQ_A);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.tenant, A);
  });
});

test("one tenant's bad snapshot does not disturb the other", async () => {
  await withWorker({}, async (w) => {
    await publishSnapshot(w.kvA, A, a.bytes, { version: 'a1', signature: await envelope(a.bytes, [alice]) });
    // B: corrupt bytes (signed as they are, so only the core's verifier can refuse them).
    const bad = b.bytes.slice(0, 64);
    await publishSnapshot(w.kvB, B, bad, { version: 'b1', signature: await envelope(bad, [bob]), prefix: 'b/' });
    const rb = await decide(w.mf, HOST_B, REQ_B);
    assert.equal(rb.status, 503, rb.text);
    assert.equal(rb.json.error.code, 'snapshot_invalid');
    const ra = await decide(w.mf, HOST_A, REQ_A);
    assert.equal(ra.status, 200, ra.text);
    assert.equal(ra.json.tenant, A);
    // B's real snapshot published next: B serves, A is unchanged.
    await publishSnapshot(w.kvB, B, b.bytes, { version: 'b2', signature: await envelope(b.bytes, [bob]), prefix: 'b/' });
    const ok = await decide(w.mf, HOST_B, REQ_B);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.snapshot.hash, b.info.sha256);
    assert.equal((await decide(w.mf, HOST_A, REQ_A)).text, ra.text);
  });
});

test("profiles never cross tenants: B's namespace and prefix, and a foreign profile is refused", async () => {
  await withWorker({}, async (w) => {
    await publishBoth(w);
    // u1 has a profile in B (events of the int8 case); the same visitor id at A has none.
    await publishProfiles(w.kvB, B, b.profiles, { prefix: 'b/' });
    const cookie = 'tailor_vid=u1';
    const rb = await decide(w.mf, HOST_B, { ...REQ_B, consent: ['personalization'] }, { cookie });
    assert.equal(rb.status, 200, rb.text);
    assert.equal(rb.json.personalized, true, "B reads its own visitor's profile");
    const ra = await decide(w.mf, HOST_A, { ...REQ_A, consent: ['personalization'] }, { cookie });
    assert.equal(ra.status, 200, ra.text);
    assert.equal(ra.json.personalized, false, "A does not find B's profile");
    assert.equal((await w.kvA.list()).keys.filter((k) => k.name.includes(B)).length, 0, "nothing of B's in A's namespace");
    // B's profile bytes copied under A's key for the same visitor: the engine refuses to read them.
    const bProfile = b.profiles.get(await userHash(B, 'u1'));
    assert.ok(bProfile);
    await w.kvA.put(`profile:${A}:${await userHash(A, 'u1')}`, bProfile);
    const leak = await decide(w.mf, HOST_A, { ...REQ_A, consent: ['personalization'] }, { cookie });
    assert.equal(leak.status, 500, leak.text);
    assert.equal(leak.json.error.code, 'tenant_mismatch');
    assert.doesNotMatch(leak.text, /"items"/);
  });
});

test('TAILOR_TENANT_SETTINGS is checked: unknown settings and unbound namespaces are errors', async () => {
  const opts = workerOptions({ TAILOR_DEFAULT_TENANT: A, TAILOR_TENANT_SETTINGS: JSON.stringify({ [A]: { kv: 'NOPE' } }) });
  const mf = new Miniflare(opts);
  try {
    await mf.ready;
    const r = await decide(mf, HOST_A, REQ_A);
    assert.equal(r.status, 503, r.text);
    assert.match(r.json.error.message, /NOPE/);
  } finally {
    await mf.dispose();
  }
});
