// Engine over tailor.wasm: lifecycle, errors as TailorError, failed loads keep the previous
// snapshot, inputs freed (memory flat over many decides), and the node:wasi host option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { createEngine, TailorError } from '../../js/src/index.js';
import { basicsRequest, buildSnapshot, cli, newEngine, tempDir, wasmModule } from './helpers.mjs';

const dir = tempDir();
const v1 = buildSnapshot('basics', join(dir, 'v1.tsnap'));
const v2 = buildSnapshot('basics', join(dir, 'v2.tsnap'), { version: 'v2' });
const inspected = JSON.parse(execFileSync(cli, ['inspect', join(dir, 'v1.tsnap')], { encoding: 'utf8' }));
const isCode = (code) => (e) => e instanceof TailorError && e.code === code;

test('decide before any snapshot throws no_snapshot with the core status', async () => {
  const engine = await newEngine();
  assert.equal(engine.snapshotInfo(), null);
  assert.throws(() => engine.decide(basicsRequest), (e) => isCode('no_snapshot')(e) && e.status === 6 && e.message.length > 0);
});

test('loadSnapshot resolves to the snapshot info `tailor inspect` reports', async () => {
  const engine = await newEngine();
  const info = await engine.loadSnapshot(v1);
  assert.deepEqual(info, { tenant: inspected.tenant.id, version: inspected.version, hash: inspected.sha256,
    built_at: inspected.built_at, items: inspected.counts.items, bytes: inspected.bytes });
  assert.deepEqual(engine.snapshotInfo(), info);
  assert.equal(engine.decide(basicsRequest).snapshot.hash, info.hash);
});

test('a rejected snapshot leaves the previous one serving', async () => {
  const engine = await newEngine();
  const { hash } = await engine.loadSnapshot(v1);
  const flipped = new Uint8Array(v2);
  flipped[200] ^= 0xff;
  await assert.rejects(engine.loadSnapshot(v2.subarray(0, 100)), isCode('snapshot_invalid'));
  await assert.rejects(engine.loadSnapshot(flipped), isCode('snapshot_invalid'));
  await assert.rejects(engine.loadSnapshot(new Uint8Array(64)), isCode('snapshot_wrong_identifier'));
  await assert.rejects(engine.loadSnapshot('not bytes'), isCode('invalid_argument'));
  assert.equal(engine.snapshotInfo().hash, hash);
  assert.equal(engine.decide(basicsRequest).snapshot.version, 'v1');
  assert.equal((await engine.loadSnapshot(v2.buffer.slice(v2.byteOffset, v2.byteOffset + v2.length))).version, 'v2');
  assert.equal(engine.decide(basicsRequest).snapshot.version, 'v2');
});

test('request errors and bad profiles throw TailorError codes', async () => {
  const engine = await newEngine();
  await engine.loadSnapshot(v1);
  assert.throws(() => engine.decide('{"slots":'), isCode('parse_error'));
  assert.throws(() => engine.decide({ slots: ['nope'] }), isCode('unknown_slot'));
  assert.throws(() => engine.decide({ slots: ['home'], site: 'mars' }), isCode('invalid_argument'));
  assert.throws(() => engine.decide(basicsRequest, { profile: new Uint8Array(16) }), isCode('profile_invalid'));
  assert.throws(() => engine.decide(undefined), isCode('invalid_argument'));
  assert.throws(() => engine.decide({ n: 1n }), isCode('invalid_argument'));
  assert.equal(engine.decideRaw(JSON.stringify(basicsRequest)), engine.decideRaw(basicsRequest));
  assert.equal(engine.decideRaw(basicsRequest, { profile: null }), engine.decideRaw(basicsRequest));
});

test('dispose: later calls throw disposed; dispose is idempotent and Symbol.dispose works', async () => {
  const engine = await newEngine();
  await engine.loadSnapshot(v1);
  engine.dispose();
  engine.dispose();
  assert.throws(() => engine.decide(basicsRequest), isCode('disposed'));
  assert.throws(() => engine.snapshotInfo(), isCode('disposed'));
  await assert.rejects(engine.loadSnapshot(v1), isCode('disposed'));

  const other = await newEngine();
  other[Symbol.dispose ?? Symbol.for('Symbol.dispose')]();
  assert.throws(() => other.decideRaw(basicsRequest), isCode('disposed'));
});

test('memory stays flat over 2,000 decides (inputs and failures free what they allocate)', async () => {
  const engine = await newEngine();
  await engine.loadSnapshot(v1);
  // ~8 KB request: leaking its copy would need ~16 MB over the loop.
  const big = { ...basicsRequest, slots: ['home', 'new', 'picks'], exclude: Array.from({ length: 800, }, (_, i) => `x${i}`) };
  const round = (i) => {
    engine.decideRaw(big);
    assert.throws(() => engine.decideRaw({ ...big, slots: ['nope'] }), isCode('unknown_slot'));
    assert.throws(() => engine.decideRaw(big, { profile: new Uint8Array(64 + (i % 7)) }), isCode('profile_invalid'));
  };
  for (let i = 0; i < 50; i++) round(i);
  const warm = engine.memoryBytes;
  for (let i = 0; i < 2000; i++) round(i);
  assert.equal(engine.memoryBytes, warm);
});

test('engines are isolated: each has its own snapshot and memory', async () => {
  const a = await newEngine();
  const b = await newEngine();
  await a.loadSnapshot(v1);
  await b.loadSnapshot(v2);
  assert.equal(a.decide(basicsRequest).snapshot.version, 'v1');
  assert.equal(b.decide(basicsRequest).snapshot.version, 'v2');
  a.dispose();
  assert.equal(b.decide(basicsRequest).snapshot.version, 'v2');
});

test('createEngine accepts a WASI host (node:wasi) instead of the built-in shim', async () => {
  const engine = await createEngine({ module: wasmModule, wasi: new WASI({ version: 'preview1', returnOnExit: true }) });
  await engine.loadSnapshot(v1);
  const reference = await newEngine();
  await reference.loadSnapshot(v1);
  assert.equal(engine.decideRaw(basicsRequest), reference.decideRaw(basicsRequest));
});

test('createEngine refuses what is not a compiled tailor.wasm', async () => {
  await assert.rejects(createEngine({}), isCode('invalid_argument'));
  await assert.rejects(createEngine({ module: new Uint8Array(8) }), isCode('invalid_argument'));
  const empty = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  await assert.rejects(createEngine({ module: empty }), (e) => isCode('invalid_argument')(e) && /tailor_engine_decide/.test(e.message));
});
