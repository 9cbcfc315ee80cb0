// Interop: envelopes made by the CLI (`tailor keygen` + `tailor sign`, libsodium Ed25519) are the
// envelopes the JS package verifies with WebCrypto before a snapshot is activated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TailorError } from '../../js/src/index.js';
import { basicsRequest, buildSnapshot, cli, newEngine, sha256Hex, tempDir } from './helpers.mjs';

const dir = tempDir();
const snap = join(dir, 'v1.tsnap');
const bytes = buildSnapshot('basics', snap);
const isCode = (code) => (e) => e instanceof TailorError && e.code === code;
const tailor = (...args) => execFileSync(cli, args, { stdio: 'pipe', encoding: 'utf8' });

// Key pairs from `tailor keygen`: the raw 32-byte public key the edge is configured with.
function keygen(name) {
  const prefix = join(dir, name);
  const { key_id } = JSON.parse(tailor('keygen', '--out', prefix, '--json'));
  const raw = new Uint8Array(Buffer.from(readFileSync(`${prefix}.pub`, 'utf8').trim(), 'hex'));
  return { key: `${prefix}.key`, raw, keyId: key_id };
}
const alice = keygen('alice');
const bob = keygen('bob');

function sign(signer, out) {
  return JSON.parse(tailor('sign', snap, '--key', signer.key, '--out', out, '--json'));
}

test('key ids from tailor keygen are the first 16 hex of sha256(raw public key), as the edge computes them', () => {
  assert.equal(alice.raw.length, 32);
  assert.equal(alice.keyId, sha256Hex(alice.raw).slice(0, 16));
  assert.notEqual(alice.keyId, bob.keyId);
});

test('an envelope signed by two approvers with tailor sign passes requiredSignatures: 2', async () => {
  const out = join(dir, 'two.sig.json');
  sign(alice, out);
  const second = sign(bob, out);
  assert.equal(second.signatures, 2);
  assert.equal(second.sha256, sha256Hex(bytes));
  const signature = readFileSync(out, 'utf8');
  const env = JSON.parse(signature);
  assert.deepEqual(env.signatures.map((s) => s.key_id), [alice.keyId, bob.keyId]);

  const engine = await newEngine();
  const info = await engine.loadSnapshot(bytes, { publicKeys: [alice.raw, bob.raw], signature, requiredSignatures: 2 });
  assert.equal(info.hash, sha256Hex(bytes));
  assert.equal(engine.decide(basicsRequest).snapshot.version, info.version);
  // The same envelope as a parsed object, and as bytes.
  await (await newEngine()).loadSnapshot(bytes, { publicKeys: [alice.raw, bob.raw], signature: env, requiredSignatures: 2 });
  await (await newEngine()).loadSnapshot(bytes, { publicKeys: [bob.raw, alice.raw], signature: new TextEncoder().encode(signature), requiredSignatures: 2 });
  // And the CLI agrees.
  const v = JSON.parse(tailor('verify', snap, '--pub', `${join(dir, 'alice.pub')},${join(dir, 'bob.pub')}`, '--required', '2', '--sig', out, '--json'));
  assert.equal(v.ok, true);
  assert.equal(v.valid_signers, 2);
});

test('one tailor signature is refused with signature_insufficient when two are required', async () => {
  const out = join(dir, 'one.sig.json');
  sign(alice, out);
  sign(alice, out); // signing again with the same key replaces: still one approver
  const signature = readFileSync(out, 'utf8');
  assert.equal(JSON.parse(signature).signatures.length, 1);
  const engine = await newEngine();
  await assert.rejects(engine.loadSnapshot(bytes, { publicKeys: [alice.raw, bob.raw], signature, requiredSignatures: 2 }),
    isCode('signature_insufficient'));
  // One signature is enough when one is required.
  await engine.loadSnapshot(bytes, { publicKeys: [alice.raw, bob.raw], signature, requiredSignatures: 1 });
});

test('a tailor envelope does not verify a tampered snapshot (digest_mismatch)', async () => {
  const out = join(dir, 'tamper.sig.json');
  sign(alice, out);
  sign(bob, out);
  const tampered = new Uint8Array(bytes);
  tampered[tampered.length >> 1] ^= 1;
  const engine = await newEngine();
  await assert.rejects(engine.loadSnapshot(tampered, { publicKeys: [alice.raw, bob.raw], signature: readFileSync(out, 'utf8'), requiredSignatures: 2 }),
    isCode('digest_mismatch'));
});
