// One publisher per tenant (sync/publish_lock.h): two `tailor publish` processes overlapping on
// the Cloudflare KV API stand-in (slowed down so they overlap), and a directory whose lock is held
// by this test process: the loser exits 5 and changes nothing, the previous version stays live;
// stale locks (lease over, or a dead process of this host) are taken over; --force-unlock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { memoryKv, startKvApi } from '../../edge-adapters/cloudflare/kv-api.mjs';
import { TENANT, buildVersion, tailor, tempDir } from './helpers.mjs';

const LOCKED = 5; // docs/sync.md#exit-codes
let dir, api, kv, faults, env, v1, v2, v3;

before(async () => {
  dir = tempDir();
  [v1, v2, v3] = ['v1', 'v2', 'v3'].map((v) => buildVersion(dir, v));
  kv = memoryKv();
  faults = {};
  api = await startKvApi({ namespaces: { ns: kv }, accountId: 'acc', token: 'tok', faults });
  env = { TAILOR_CF_API_BASE: `${api.url}/client/v4`, CLOUDFLARE_ACCOUNT_ID: 'acc', CLOUDFLARE_API_TOKEN: 'tok',
    TAILOR_KV_NAMESPACE_ID: 'ns' };
});
after(() => api.close());

const kvPublish = (snap, extra = []) => tailor(['publish', snap.path, '--to', 'cloudflare', '--json', ...extra], env);
const kvManifest = () => JSON.parse(Buffer.from(kv.map.get(`manifest:${TENANT}`)).toString('utf8'));
const kvLock = () => (kv.map.has(`lock:${TENANT}`) ? JSON.parse(Buffer.from(kv.map.get(`lock:${TENANT}`)).toString()) : null);
const waitFor = async (fn, what) => {
  for (let i = 0; i < 500; i++) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

test('KV: a second publisher while the first holds the lock exits 5, and the previous version stays live', async () => {
  kv.map.clear();
  assert.equal((await kvPublish(v1)).code, 0);
  faults.delayMs = 15; // every API request 15 ms late: v2's many chunks take a while
  const first = kvPublish(v2, ['--chunk-bytes', '500']);
  await waitFor(() => kvLock()?.operation === 'publish v2', 'the first publisher\'s lock');
  const second = await kvPublish(v3);
  assert.equal(second.code, LOCKED, second.stderr);
  assert.equal(second.json.exit, LOCKED);
  assert.match(second.stderr, new RegExp(`tenant ${TENANT} is being published: lock:${TENANT} on Cloudflare KV namespace ns is held by .* pid \\d+ \\(publish v2\\).*nothing was changed`));
  assert.equal(kvManifest().version, 'v1', 'the previous version is still live');
  assert.equal([...kv.map.keys()].some((k) => k.startsWith(`snapshot:${TENANT}:v3:`)), false, 'the loser wrote nothing');
  const r = await first;
  delete faults.delayMs;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(kvManifest().version, 'v2');
  assert.deepEqual(kvManifest().previous.map((p) => p.version), ['v1']);
  assert.equal(kvLock(), null, 'released');
  assert.equal((await kvPublish(v3)).code, 0, 'free again');
});

test('KV: two publishers started together: one publishes, the other exits 5 with nothing switched', async () => {
  kv.map.clear();
  assert.equal((await kvPublish(v1)).code, 0);
  faults.delayMs = 5;
  const [a, b] = await Promise.all([kvPublish(v2, ['--chunk-bytes', '2000']), kvPublish(v3, ['--chunk-bytes', '2000'])]);
  delete faults.delayMs;
  assert.deepEqual([a.code, b.code].sort(), [0, LOCKED], `${a.stderr}\n${b.stderr}`);
  const [winner, loser] = a.code === 0 ? [a, b] : [b, a];
  assert.equal(kvManifest().version, winner.json.version);
  assert.deepEqual(kvManifest().previous.map((p) => p.version), ['v1']);
  assert.match(loser.json.error, /is being published|lost the publish lock|could not take the publish lock/);
  assert.match(loser.json.error, /nothing was (changed|switched)/);
  assert.equal(kvLock(), null);
});

test('KV: a rollback is refused while a publish holds the lock', async () => {
  kv.map.clear();
  for (const s of [v1, v2]) assert.equal((await kvPublish(s)).code, 0);
  faults.delayMs = 15;
  const first = kvPublish(v3, ['--chunk-bytes', '500']);
  await waitFor(() => kvLock()?.operation === 'publish v3', 'the publisher\'s lock');
  const rb = await tailor(['rollback', '--to', 'cloudflare', '--tenant', TENANT, '--json'], env);
  assert.equal(rb.code, LOCKED, rb.stderr);
  assert.equal(kvManifest().version, 'v2');
  assert.equal((await first).code, 0);
  delete faults.delayMs;
});

// A lock file as another publisher writes it (publish_lock.cpp).
function holdDirLock(root, { pid = process.pid, host = hostname(), expiresIn = 3600, operation = 'publish v9' } = {}) {
  mkdirSync(join(root, TENANT), { recursive: true });
  const now = Math.floor(Date.now() / 1000);
  writeFileSync(join(root, TENANT, '.publish.lock'), JSON.stringify({ schema: 1, owner: 'other', host, pid, operation,
    token: 'f'.repeat(32), acquired_at: now - 10, expires_at: now + expiresIn }));
}

test('dir: the lock file of a live publisher makes publish and rollback exit 5; stale locks are taken over', async () => {
  const root = join(dir, 'cdn');
  const to = `dir:${root}`;
  const lockFile = join(root, TENANT, '.publish.lock');
  assert.equal((await tailor(['publish', v1.path, '--to', to])).code, 0);
  assert.equal(existsSync(lockFile), false, 'released after the publish');
  const live = readFileSync(join(root, TENANT, 'manifest.json'), 'utf8');

  holdDirLock(root); // this test process is the other publisher: alive, lease running
  let r = await tailor(['publish', v2.path, '--to', to, '--json']);
  assert.equal(r.code, LOCKED, r.stderr);
  assert.match(r.json.error, /is held by other@.* pid \d+ \(publish v9\) since .*; nothing was changed.*--force-unlock/);
  assert.equal(readFileSync(join(root, TENANT, 'manifest.json'), 'utf8'), live);
  assert.equal(existsSync(join(root, TENANT, 'versions/v2')), false);
  r = await tailor(['rollback', '--to', to, '--tenant', TENANT]);
  assert.equal(r.code, LOCKED, r.stderr);
  assert.equal(existsSync(lockFile), true, 'the other publisher\'s lock is left alone');

  // --force-unlock: the operator knows the other publisher is dead.
  r = await tailor(['publish', v2.path, '--to', to, '--force-unlock']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: --force-unlock removed the publish lock .* of other@/);
  assert.equal(existsSync(lockFile), false);

  // A lease that ended: taken over with a warning.
  holdDirLock(root, { expiresIn: -1 });
  r = await tailor(['publish', v3.path, '--to', to]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: took over a stale publish lock .*: its lease ended at/);

  // A process of this host that is gone (a pid far above pid_max is never alive).
  holdDirLock(root, { pid: 2 ** 30 });
  r = await tailor(['rollback', '--to', to, '--tenant', TENANT]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /took over a stale publish lock .*: process 1073741824 of this host is gone/);

  // The same pid on another host cannot be checked from here: only its lease makes it stale.
  holdDirLock(root, { pid: 2 ** 30, host: 'elsewhere.example' });
  r = await tailor(['rollback', '--to', to, '--tenant', TENANT]);
  assert.equal(r.code, LOCKED, r.stderr);
  r = await tailor(['publish', v1.path, '--to', to, '--lock-timeout', '5']);
  assert.equal(r.code, 2, 'a lease under 60 s is a usage error');
});
