// Signed snapshots: verified with WebCrypto before activation; every refusal keeps the previous
// snapshot serving.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TailorError } from '../../js/src/index.js';
import { basicsRequest, buildSnapshot, envelope, newEngine, newSigner, sha256Hex, signature, tempDir } from './helpers.mjs';

const dir = tempDir();
const v1 = buildSnapshot('basics', join(dir, 'v1.tsnap'));
const v2 = buildSnapshot('basics', join(dir, 'v2.tsnap'), { version: 'v2' });
const isCode = (code) => (e) => e instanceof TailorError && e.code === code;
let alice, bob, mallory;
before(async () => { [alice, bob, mallory] = [await newSigner(), await newSigner(), await newSigner()]; });

// An engine serving v1 (signed by alice, raw key) to refuse things in front of.
async function servingV1() {
  const engine = await newEngine();
  await engine.loadSnapshot(v1, { publicKeys: [alice.raw], signature: await envelope(v1, [alice]) });
  return engine;
}
async function assertStillV1(engine) {
  assert.equal(engine.snapshotInfo().version, 'v1');
  assert.equal(engine.decide(basicsRequest).snapshot.version, 'v1');
}

test('a signed snapshot is accepted with raw keys, CryptoKeys and the envelope as JSON text', async () => {
  const engine = await servingV1();
  assert.equal(engine.snapshotInfo().hash, sha256Hex(v1));
  const info = await engine.loadSnapshot(v2, { publicKeys: [alice.publicKey], signature: JSON.stringify(await envelope(v2, [alice])) });
  assert.equal(info.version, 'v2');
});

test('a tampered snapshot (one byte flipped) is refused with digest_mismatch', async () => {
  const engine = await servingV1();
  const sig = await envelope(v2, [alice]);
  const tampered = new Uint8Array(v2);
  tampered[tampered.length >> 1] ^= 1;
  await assert.rejects(engine.loadSnapshot(tampered, { publicKeys: [alice.raw], signature: sig }), isCode('digest_mismatch'));
  await assertStillV1(engine);
});

test('the verified bytes are the loaded bytes, even if the caller changes its buffer meanwhile', async () => {
  const engine = await servingV1();
  const bytes = new Uint8Array(v2);
  const loading = engine.loadSnapshot(bytes, { publicKeys: [alice.raw], signature: await envelope(v2, [alice]) });
  bytes.fill(0);
  assert.equal((await loading).hash, sha256Hex(v2));
});

test('an unsigned snapshot is refused when publicKeys are given', async () => {
  const engine = await servingV1();
  await assert.rejects(engine.loadSnapshot(v2, { publicKeys: [alice.raw] }), isCode('signature_missing'));
  await assert.rejects(engine.loadSnapshot(v2, { publicKeys: [alice.raw], signature: { schema: 1, sha256: sha256Hex(v2), signatures: [] } }),
    isCode('signature_missing'));
  await assertStillV1(engine);
});

test('a signature by an unknown key, or a forged one, is signature_invalid', async () => {
  const engine = await servingV1();
  await assert.rejects(engine.loadSnapshot(v2, { publicKeys: [alice.raw], signature: await envelope(v2, [mallory]) }),
    isCode('signature_invalid'));
  // Mallory's signature filed under alice's key id.
  const forged = { ...(await signature(mallory, v2)), key_id: alice.keyId };
  await assert.rejects(engine.loadSnapshot(v2, { publicKeys: [alice.raw], signature: { schema: 1, sha256: sha256Hex(v2), signatures: [forged] } }),
    isCode('signature_invalid'));
  // Alice's signature of v1 presented for v2's digest.
  const replayed = { schema: 1, sha256: sha256Hex(v2), signatures: [await signature(alice, v1)] };
  await assert.rejects(engine.loadSnapshot(v2, { publicKeys: [alice.raw], signature: replayed }), isCode('signature_invalid'));
  await assert.rejects(engine.loadSnapshot(v2, { publicKeys: [alice.raw], signature: '{"schema":2}' }), isCode('signature_invalid'));
  await assert.rejects(engine.loadSnapshot(v2, { publicKeys: [alice.raw], signature: 'not json' }), isCode('signature_invalid'));
  await assertStillV1(engine);
});

test('two-of-two: one signature (even twice) is signature_insufficient, both are accepted', async () => {
  const engine = await servingV1();
  const keys = { publicKeys: [alice.raw, bob.raw], requiredSignatures: 2 };
  await assert.rejects(engine.loadSnapshot(v2, { ...keys, signature: await envelope(v2, [alice]) }), isCode('signature_insufficient'));
  await assert.rejects(engine.loadSnapshot(v2, { ...keys, signature: await envelope(v2, [alice, alice]) }), isCode('signature_insufficient'));
  await assert.rejects(engine.loadSnapshot(v2, { ...keys, signature: await envelope(v2, [alice, mallory]) }), isCode('signature_insufficient'));
  await assertStillV1(engine);
  assert.equal((await engine.loadSnapshot(v2, { ...keys, signature: await envelope(v2, [bob, alice]) })).version, 'v2');
});

test('key options that can never verify are refused up front', async () => {
  const engine = await servingV1();
  const sig = await envelope(v2, [alice]);
  await assert.rejects(engine.loadSnapshot(v2, { publicKeys: [], signature: sig }), isCode('invalid_argument'));
  await assert.rejects(engine.loadSnapshot(v2, { publicKeys: [alice.raw], signature: sig, requiredSignatures: 2 }), isCode('invalid_argument'));
  await assert.rejects(engine.loadSnapshot(v2, { publicKeys: [alice.raw.subarray(0, 31)], signature: sig }), isCode('invalid_argument'));
  await assertStillV1(engine);
});
