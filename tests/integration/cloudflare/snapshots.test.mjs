// Snapshot delivery through KV in real workerd: signatures (TAILOR_PUBLIC_KEYS,
// TAILOR_REQUIRED_SIGNATURES), tampered and unsigned snapshots refused (503 when nothing good was
// live, the good version keeps serving when one was), chunked snapshots reassembled, and a
// manifest flip picked up once the cache TTL (TAILOR_CACHE_TTL_MS) has passed.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCase, caseDir, decide, envelope, eventually, newSigner, publishSnapshot, sleep, startWorker, tempDir } from './helpers.mjs';

const TENANT = 'conf-basics';
const HOST = 'shop.example.test';
const REQ = { site: 'us', now: 1764000000, slots: ['home'] };
const EXPECTED = readFileSync(join(caseDir('basics'), 'vectors/home-us.expected.json'), 'utf8').replace(/\n$/, '');
let v1, v2, alice, bob, mallory;

before(async () => {
  const dir = tempDir();
  v1 = buildCase('basics', dir);
  v2 = buildCase('basics', dir, { version: 'v2' });
  [alice, bob, mallory] = [await newSigner(), await newSigner(), await newSigner()];
});

const flipped = (bytes) => {
  const b = bytes.slice();
  b[Math.floor(b.length / 2)] ^= 0x01;
  return b;
};
const served = async (mf) => {
  const r = await decide(mf, HOST, REQ);
  return r.status === 200 ? r.json.snapshot.version : `${r.status} ${r.json?.error?.code}`;
};

async function withWorker(bindings, fn) {
  const w = await startWorker({ TAILOR_DEFAULT_TENANT: TENANT, ...bindings });
  try { await fn(w); } finally { await w.dispose(); }
}

test('with TAILOR_PUBLIC_KEYS, tampered, unsigned and wrongly signed snapshots are refused with 503', async () => {
  await withWorker({ TAILOR_PUBLIC_KEYS: JSON.stringify([alice.hex]) }, async ({ mf, kv }) => {
    // One byte flipped after signing: the envelope's digest no longer matches.
    await publishSnapshot(kv, TENANT, flipped(v1.bytes), { version: 'v1', signature: await envelope(v1.bytes, [alice]) });
    let r = await decide(mf, HOST, REQ);
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'digest_mismatch');
    assert.equal(r.headers.get('content-type'), 'application/json');
    // Bytes corrupted in KV after publishing: they no longer match the manifest's sha256.
    await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1', signature: await envelope(v1.bytes, [alice]) });
    await kv.put(`snapshot:${TENANT}:v1:0`, flipped(v1.bytes));
    r = await decide(mf, HOST, REQ);
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'digest_mismatch');
    // Unsigned.
    await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1' });
    r = await decide(mf, HOST, REQ);
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'signature_missing');
    // Signed by a key the Worker does not trust.
    await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1', signature: await envelope(v1.bytes, [mallory]) });
    r = await decide(mf, HOST, REQ);
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'signature_invalid');
    // A failed load is not cached: the good one serves at the next request.
    await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1', signature: await envelope(v1.bytes, [alice]) });
    r = await decide(mf, HOST, REQ);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, EXPECTED);
  });
});

test('TAILOR_REQUIRED_SIGNATURES=2 needs two distinct trusted signers', async () => {
  await withWorker({ TAILOR_PUBLIC_KEYS: JSON.stringify([alice.hex, bob.hex]), TAILOR_REQUIRED_SIGNATURES: '2' }, async ({ mf, kv }) => {
    await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1', signature: await envelope(v1.bytes, [alice, alice, mallory]) });
    const r = await decide(mf, HOST, REQ);
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'signature_insufficient');
    await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1', signature: await envelope(v1.bytes, [alice, bob]) });
    assert.equal((await decide(mf, HOST, REQ)).text, EXPECTED);
  });
});

test('TAILOR_PUBLIC_KEYS and a tenant\'s public_keys take comma-separated hex, base64 or a JSON array', async () => {
  const b64 = (k) => Buffer.from(k.raw).toString('base64');
  const forms = [
    { TAILOR_PUBLIC_KEYS: `${alice.hex}, ${bob.hex}` },                    // recommended: what `tailor keys` prints
    { TAILOR_PUBLIC_KEYS: `${b64(alice)},${b64(bob)}` },                   // the other adapters' old form
    { TAILOR_PUBLIC_KEYS: JSON.stringify([b64(alice), bob.hex]) },
    { TAILOR_TENANT_SETTINGS: JSON.stringify({ [TENANT]: { public_keys: `${alice.hex},${b64(bob)}`, required_signatures: '2' } }) },
  ];
  for (const bindings of forms) {
    await withWorker({ TAILOR_REQUIRED_SIGNATURES: '2', ...bindings }, async ({ mf, kv }) => {
      await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1', signature: await envelope(v1.bytes, [alice, mallory]) });
      const r = await decide(mf, HOST, REQ);
      assert.equal(r.status, 503, `${JSON.stringify(bindings)}: ${r.text}`);
      assert.equal(r.json.error.code, 'signature_insufficient');
      await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1', signature: await envelope(v1.bytes, [alice, bob]) });
      assert.equal((await decide(mf, HOST, REQ)).text, EXPECTED, JSON.stringify(bindings));
    });
  }
  // A key that is neither form is a clear configuration error (nothing loads), never "unsigned ok".
  await withWorker({ TAILOR_PUBLIC_KEYS: `${alice.hex},not-a-key` }, async ({ mf, kv }) => {
    await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1', signature: await envelope(v1.bytes, [alice]) });
    const r = await decide(mf, HOST, REQ);
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'invalid_argument');
    assert.match(r.json.error.message, /TAILOR_PUBLIC_KEYS: key 2 .* neither 64 hex characters nor the base64 of 32 bytes/);
  });
});

test('a bad new version never replaces the good one that is live; a good one does after the TTL', async () => {
  const TTL = 300;
  await withWorker({ TAILOR_PUBLIC_KEYS: JSON.stringify([alice.hex]), TAILOR_CACHE_TTL_MS: String(TTL) }, async ({ mf, kv }) => {
    await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1', signature: await envelope(v1.bytes, [alice]) });
    assert.equal(await served(mf), 'v1');
    const bad = [
      ['tampered', { bytes: flipped(v2.bytes), signature: await envelope(v2.bytes, [alice]) }],
      ['unsigned', { bytes: v2.bytes, signature: null }],
      ['untrusted', { bytes: v2.bytes, signature: await envelope(v2.bytes, [mallory]) }],
    ];
    for (const [what, { bytes, signature }] of bad) {
      await publishSnapshot(kv, TENANT, bytes, { version: 'v2', signature });
      // Several TTLs of requests: each expired TTL starts a refresh, which fails.
      const end = Date.now() + TTL * 4;
      while (Date.now() < end) {
        const r = await decide(mf, HOST, REQ);
        assert.equal(r.status, 200, `${what}: ${r.text}`);
        assert.equal(r.text, EXPECTED, `${what}: v1 keeps serving, byte for byte`);
        await sleep(50);
      }
    }
    // The refreshes were running all along: a good v2 is picked up.
    await publishSnapshot(kv, TENANT, v2.bytes, { version: 'v2', signature: await envelope(v2.bytes, [alice]) });
    assert.equal(await eventually(async () => (await served(mf)) === 'v2', { ms: TTL * 10 }), true);
    const r = await decide(mf, HOST, REQ);
    assert.equal(r.json.snapshot.hash, v2.info.sha256);
  });
});

test('a manifest flip is picked up after the TTL, not before', async () => {
  const TTL = 1500;
  await withWorker({ TAILOR_CACHE_TTL_MS: String(TTL) }, async ({ mf, kv }) => {
    await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1' });
    assert.equal(await served(mf), 'v1');
    const loaded = Date.now();
    await publishSnapshot(kv, TENANT, v2.bytes, { version: 'v2' });
    while (Date.now() - loaded < TTL - 400) {
      assert.equal(await served(mf), 'v1', 'within the TTL the cached version answers');
      await sleep(100);
    }
    await sleep(Math.max(0, TTL + 50 - (Date.now() - loaded)));
    // The first request after the TTL still answers from v1 and starts the background refresh.
    const flippedAt = await eventually(async () => ((await served(mf)) === 'v2' ? Date.now() : 0), { ms: 5000, step: 20 });
    assert.ok(flippedAt, 'v2 was picked up');
    assert.ok(flippedAt - loaded >= TTL, `flipped ${flippedAt - loaded} ms after loading, TTL ${TTL}`);
    const r = await decide(mf, HOST, REQ);
    assert.equal(r.json.snapshot.version, 'v2');
    assert.equal(r.json.snapshot.hash, v2.info.sha256);
    // The same decision as v1 apart from the snapshot identity.
    const strip = (t) => JSON.stringify({ ...JSON.parse(t), snapshot: null });
    assert.equal(strip(r.text), strip(EXPECTED));
  });
});

test('a snapshot chunked by TAILOR_CHUNK_BYTES is reassembled; a missing chunk is a 503', async () => {
  const saved = process.env.TAILOR_CHUNK_BYTES;
  process.env.TAILOR_CHUNK_BYTES = '1000';
  try {
    await withWorker({}, async ({ mf, kv }) => {
      const manifest = await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1' });
      assert.equal(manifest.chunks, Math.ceil(v1.bytes.length / 1000));
      assert.ok(manifest.chunks >= 3, `${v1.bytes.length} bytes in ${manifest.chunks} chunks`);
      const keys = (await kv.list({ prefix: `snapshot:${TENANT}:v1:` })).keys.map((k) => k.name).sort();
      assert.deepEqual(keys, Array.from({ length: manifest.chunks }, (_, i) => `snapshot:${TENANT}:v1:${i}`).sort());
      for (let i = 0; i < manifest.chunks; i++) {
        const part = new Uint8Array(await kv.get(`snapshot:${TENANT}:v1:${i}`, 'arrayBuffer'));
        assert.ok(part.length <= 1000);
      }
      assert.deepEqual(JSON.parse(await kv.get(`manifest:${TENANT}`)), manifest);
      assert.equal((await decide(mf, HOST, REQ)).text, EXPECTED, 'decided from the reassembled bytes');
    });
    await withWorker({}, async ({ mf, kv }) => {
      const manifest = await publishSnapshot(kv, TENANT, v1.bytes, { version: 'v1' });
      await kv.delete(`snapshot:${TENANT}:v1:${manifest.chunks - 1}`);
      const r = await decide(mf, HOST, REQ);
      assert.equal(r.status, 503, r.text);
      assert.equal(r.json.error.code, 'not_found');
    });
  } finally {
    if (saved === undefined) delete process.env.TAILOR_CHUNK_BYTES; else process.env.TAILOR_CHUNK_BYTES = saved;
  }
});

test('publish writes the manifest last', async () => {
  const { publishSnapshot: publish } = await import('../../../edge-adapters/cloudflare/publish.mjs');
  const order = [];
  const kv = { put: async (key) => { order.push(key); } };
  const m = await publish(kv, 't', new Uint8Array(2500), { version: 'v9', chunkBytes: 1000 });
  assert.deepEqual(order, ['snapshot:t:v9:0', 'snapshot:t:v9:1', 'snapshot:t:v9:2', 'manifest:t']);
  assert.equal(m.chunks, 3);
  assert.equal(m.bytes, 2500);
  await assert.rejects(publish(kv, 't', new Uint8Array(1), { version: 'v', chunkBytes: 26 * 1024 * 1024 }), RangeError);
});
