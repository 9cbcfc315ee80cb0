// `tailor publish --to cloudflare` / `tailor rollback` against a stand-in for the Cloudflare API
// (edge-adapters/cloudflare/kv-api.mjs over memory) on loopback: the Worker's KV layout, chunks
// written and read back before the manifest, a publish failing half-way leaving the previous
// version live, retries, kept versions and garbage collection, rollback checks, profiles through
// bulk writes, signatures, and the API's authentication.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryKv, startKvApi } from '../../edge-adapters/cloudflare/kv-api.mjs';
import { TENANT, buildVersion, keygen, sha256Hex, sign, tailor, tempDir } from './helpers.mjs';

const ACCOUNT = 'acc-0123';
const NS = 'ns-tailor';
const TOKEN = 'test-token-not-secret';
let api, kv, faults, env, dir, v1, v2, v3;

before(async () => {
  dir = tempDir();
  [v1, v2, v3] = ['v1', 'v2', 'v3'].map((v) => buildVersion(dir, v));
  kv = memoryKv();
  faults = {};
  api = await startKvApi({ namespaces: { [NS]: kv }, accountId: ACCOUNT, token: TOKEN, faults });
  env = { TAILOR_CF_API_BASE: `${api.url}/client/v4`, CLOUDFLARE_ACCOUNT_ID: ACCOUNT, CLOUDFLARE_API_TOKEN: TOKEN,
    TAILOR_KV_NAMESPACE_ID: NS };
});
after(() => api.close());

const reset = () => {
  kv.map.clear();
  for (const k of Object.keys(faults)) delete faults[k];
};
const manifest = () => JSON.parse(Buffer.from(kv.map.get(`manifest:${TENANT}`)).toString('utf8'));
const chunkKeys = (v) => [...kv.map.keys()].filter((k) => k.startsWith(`snapshot:${TENANT}:${v}:`)).sort();
const publish = (snap, extra = [], e = env) => tailor(['publish', snap.path, '--to', 'cloudflare', '--json', ...extra], e);
const rollback = (extra = [], e = env) => tailor(['rollback', '--to', 'cloudflare', '--tenant', TENANT, '--json', ...extra], e);
const assembled = (m) => Buffer.concat(Array.from({ length: m.chunks }, (_, i) => kv.map.get(`snapshot:${TENANT}:${m.version}:${i}`)));

test('publishes chunks, reads them back, and writes the manifest last in the Worker layout', async () => {
  reset();
  const r = await publish(v1, ['--chunk-bytes', '1000']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.ok, true);
  assert.equal(r.json.version, 'v1');
  const m = manifest();
  assert.equal(m.tenant, TENANT);
  assert.equal(m.version, 'v1');
  assert.equal(m.bytes, v1.bytes.length);
  assert.equal(m.chunks, Math.ceil(v1.bytes.length / 1000));
  assert.ok(m.chunks > 1);
  assert.equal(m.sha256, sha256Hex(v1.bytes));
  assert.equal(m.signature, null);
  assert.deepEqual(m.previous, []);
  assert.deepEqual(assembled(m), Buffer.from(v1.bytes));
  // Order on the wire: every chunk PUT, then every chunk read back, then the manifest PUT.
  const log = faults.log;
  // The publish lock (publish_lock.h) first: created (read, write, read back), checked again right
  // before the switch, released at the end.
  const LOCK = `lock:${TENANT}`;
  assert.deepEqual(log.slice(0, 4), [`GET ${LOCK}`, `PUT ${LOCK}`, `GET ${LOCK}`, `GET manifest:${TENANT}`]);
  const manifestPut = log.lastIndexOf(`PUT manifest:${TENANT}`);
  assert.equal(log[manifestPut - 1], `GET ${LOCK}`);
  assert.equal(manifestPut, log.length - 4, log.join('\n')); // then the garbage collector's listing and the release
  assert.match(log.at(-3), /^GET keys\?prefix=snapshot:/);
  assert.deepEqual(log.slice(-2), [`GET ${LOCK}`, `DELETE ${LOCK}`]);
  assert.equal(kv.map.has(LOCK), false);
  for (let i = 0; i < m.chunks; i++) {
    const put = log.indexOf(`PUT snapshot:${TENANT}:v1:${i}`);
    const get = log.lastIndexOf(`GET snapshot:${TENANT}:v1:${i}`);
    assert.ok(put >= 0 && get > put && manifestPut > get, `chunk ${i}: ${log.join('\n')}`);
  }
  assert.match(r.stderr, /v1 live on Cloudflare KV namespace ns-tailor/);
});

test('a publish that fails half-way leaves the previous version live, and a later one succeeds', async () => {
  reset();
  assert.equal((await publish(v1, ['--chunk-bytes', '1000'])).code, 0);
  const before = manifest();
  const liveChunks = chunkKeys('v1').map((k) => Buffer.from(kv.map.get(k)));
  // Requests of the next publish: the lock (GET, PUT, GET), GET manifest, PUT chunk 0, PUT chunk 1,
  // ... Fail from the sixth on (an outage in the middle of the chunks), without retries.
  faults.count = 0;
  faults.log = [];
  faults.failFrom = 6;
  const r = await publish(v2, ['--chunk-bytes', '1000', '--retries', '0']);
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.json.ok, false);
  assert.match(r.stderr, /writing chunk 2 of \d+ .*failed.*nothing was switched: v1 is still live/);
  delete faults.failFrom;
  assert.deepEqual(manifest(), before);
  // The outage also kept the publish from releasing its lock. Its process is gone, so the next
  // publish would take it over as stale (tests/publish/lock.test.mjs); removed here so that the
  // request numbers below stay simple.
  assert.equal(JSON.parse(Buffer.from(kv.map.get(`lock:${TENANT}`)).toString()).operation, 'publish v2');
  kv.map.delete(`lock:${TENANT}`);
  assert.deepEqual(chunkKeys('v1').map((k) => Buffer.from(kv.map.get(k))), liveChunks);
  // The manifest PUT itself failing: everything before it worked, the pointer did not move.
  faults.count = 0;
  faults.log = [];
  const chunks = Math.ceil(v2.bytes.length / 1000);
  faults.failNth = 3 + 1 + chunks + chunks + 1 + 1; // lock, GET manifest, PUT chunks, GET chunks, lock check, PUT manifest
  const r2 = await publish(v2, ['--chunk-bytes', '1000', '--retries', '0']);
  assert.equal(r2.code, 4, r2.stderr);
  assert.match(r2.stderr, /switching the manifest failed/);
  assert.deepEqual(faults.log.slice(-3), [`PUT manifest:${TENANT}`, `GET lock:${TENANT}`, `DELETE lock:${TENANT}`]);
  assert.deepEqual(manifest(), before);
  // One failed request is retried: the same publish now goes through.
  faults.count = 0;
  faults.failNth = 2;
  const r3 = await publish(v2, ['--chunk-bytes', '1000', '--retries', '2']);
  assert.equal(r3.code, 0, r3.stderr);
  assert.equal(manifest().version, 'v2');
  assert.deepEqual(manifest().previous.map((p) => p.version), ['v1']);
  assert.deepEqual(assembled(manifest()), Buffer.from(v2.bytes));
});

test('keeps N previous versions, deletes older chunks after the switch, and rolls back', async () => {
  reset();
  for (const s of [v1, v2]) assert.equal((await publish(s, ['--keep', '1'])).code, 0);
  const r = await publish(v3, ['--keep', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.kept, ['v2']);
  assert.deepEqual(r.json.removed, ['v1']);
  assert.deepEqual(chunkKeys('v1'), []);
  assert.equal(chunkKeys('v2').length, 1);
  // Rollback to the previous version, then back (the rolled-back one is kept).
  let rb = await rollback();
  assert.equal(rb.code, 0, rb.stderr);
  assert.equal(manifest().version, 'v2');
  assert.equal(manifest().sha256, sha256Hex(v2.bytes));
  assert.deepEqual(manifest().previous.map((p) => p.version), ['v3']);
  rb = await rollback(['--version', 'v3']);
  assert.equal(rb.code, 0, rb.stderr);
  assert.equal(manifest().version, 'v3');
  // Not kept: refused.
  rb = await rollback(['--version', 'v1']);
  assert.equal(rb.code, 1);
  assert.match(rb.stderr, /v1 is not kept .*kept: v2/);
  // A kept version whose chunk is missing or corrupt is refused; the live one stays.
  const key = chunkKeys('v2')[0];
  const good = kv.map.get(key);
  const bad = Uint8Array.from(good);
  bad[100] ^= 1;
  kv.map.set(key, bad);
  rb = await rollback();
  assert.equal(rb.code, 3, rb.stderr);
  assert.match(rb.stderr, /refusing to roll back: version v2: chunks have sha256/);
  kv.map.delete(key);
  rb = await rollback();
  assert.equal(rb.code, 3, rb.stderr);
  assert.match(rb.stderr, /chunk 1 of 1 .* is missing/);
  assert.equal(manifest().version, 'v3');
  kv.map.set(key, good);
  assert.equal((await rollback()).code, 0);
  const list = await rollback(['--list']);
  assert.equal(list.json.live.version, 'v2');
  assert.deepEqual(list.json.previous.map((p) => p.version), ['v3']);
});

test('profiles go through bulk writes before the switch', async () => {
  reset();
  const pdir = join(dir, 'profiles');
  mkdirSync(pdir, { recursive: true });
  const hashes = ['0123456789abcdef0123456789abcdef', 'fedcba9876543210fedcba9876543210'];
  hashes.forEach((h, i) => writeFileSync(join(pdir, `${h}.tprof`), Buffer.from(`profile ${i}`)));
  faults.log = [];
  const r = await publish(v1, ['--profiles', pdir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.profiles, 2);
  for (const [i, h] of hashes.entries())
    assert.equal(Buffer.from(kv.map.get(`profile:${TENANT}:${h}`)).toString(), `profile ${i}`);
  assert.ok(faults.log.indexOf('PUT bulk') < faults.log.indexOf(`PUT manifest:${TENANT}`));
  // A prefix (the tenant's kv_prefix at the edge) goes in front of every key.
  const p = await publish(v2, ['--prefix', 'tenants/a/']);
  assert.equal(p.code, 0, p.stderr);
  assert.ok(kv.map.has(`tenants/a/manifest:${TENANT}`));
  assert.ok(kv.map.has(`tenants/a/snapshot:${TENANT}:v2:0`));
});

test('unsigned, under-signed and tampered snapshots are refused before anything is written', async () => {
  reset();
  const sdir = tempDir();
  const s = buildVersion(sdir, 'v1');
  const a = keygen(sdir, 'a');
  const b = keygen(sdir, 'b');
  const pubs = `${a.pub},${b.pub}`;
  let r = await publish(s, ['--pub', pubs, '--required', '2']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unsigned/);
  sign(s.path, a.key);
  r = await publish(s, ['--pub', pubs, '--required', '2']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /under-signed: 1 of 2/);
  assert.equal(kv.map.size, 0);
  sign(s.path, b.key);
  r = await publish(s, ['--pub', pubs, '--required', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(manifest().required_signatures, 2);
  assert.equal(manifest().signature.signatures.length, 2);
  assert.equal(r.json.approvers.length, 2);
  // Tampered: the envelope signs other bytes (refused even when no keys are given).
  r = await publish(v2, ['--sig', `${s.path}.sig.json`, '--allow-fewer-signatures']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /digest mismatch/);
  assert.equal(manifest().version, 'v1');
  // The tenant's manifest now requires two: an unsigned publish is refused.
  r = await publish(v2);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /requires 2 approver signatures/);
  assert.equal(manifest().version, 'v1');
});

test('authentication and configuration errors', async () => {
  reset();
  let r = await publish(v1, [], { ...env, CLOUDFLARE_API_TOKEN: 'wrong' });
  assert.equal(r.code, 4);
  assert.match(r.stderr, /HTTP 401 .*Authentication error.*CLOUDFLARE_API_TOKEN/);
  assert.doesNotMatch(r.stderr, /wrong/); // the token is never printed
  r = await publish(v1, [], { ...env, TAILOR_KV_NAMESPACE_ID: 'other' });
  assert.equal(r.code, 4);
  assert.match(r.stderr, /HTTP 404 .*namespace not found/);
  r = await publish(v1, [], { ...env, CLOUDFLARE_API_TOKEN: '' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /CLOUDFLARE_API_TOKEN/);
  assert.equal(kv.map.size, 0);
});
