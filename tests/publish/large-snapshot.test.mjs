// LARGE: a real snapshot above the 25 MiB Workers KV value limit, published with the default
// chunk size (no --chunk-bytes): generated here (90,000 items with 64-dim f32 embeddings, about
// 30 MB = 28.5 MiB; nothing committed), built and signed by this tree's CLI, then
//   - to the Cloudflare KV API stand-in (kv-api.mjs, which refuses values above 25 MiB like the
//     real API): at least 2 chunks, each at most 25 MiB, joined byte-identical, and the joined
//     bytes accepted by @tailor/engine with their signature required;
//   - to the local edge (the Worker in real workerd behind the same API): the Worker joins the
//     chunks, verifies the signature (TAILOR_PUBLIC_KEYS) and decides with exactly those bytes;
//   - to a directory read over HTTP by the browser adapter's loader: joined byte-identical, the
//     signature in the manifest verifies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { memoryKv, startKvApi, KV_VALUE_LIMIT } from '../../edge-adapters/cloudflare/kv-api.mjs';
import { fetchPublishedSnapshot } from '../../edge-adapters/browser/published.js';
import { loadEngine } from '../../js/src/node.js';
import { verifySnapshot } from '../../js/src/verify.js';
import { cli, repo, sha256Hex, tailor, tempDir } from './helpers.mjs';

const TENANT = 'large';
const ITEMS = 90_000;
const DIM = 64;
const MiB = 1024 * 1024;
let dir, snap, bytes, pubHex, envelope;

// A deterministic catalog: 8 categories, 64-dim embeddings clustered by category.
function generate(at) {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const cats = Array.from({ length: 8 }, (_, c) => ({ id: `c${c}`, name: `Category ${c}` }));
  const centre = cats.map(() => Array.from({ length: DIM }, () => rnd() * 2 - 1));
  const lines = ['id,title,category,price,popularity,stock,embedding'];
  for (let i = 0; i < ITEMS; i++) {
    const c = i % cats.length;
    const e = centre[c].map((x) => (x + rnd() - 0.5).toFixed(4)).join(' ');
    lines.push(`i${String(i).padStart(6, '0')},Item ${i},c${c},${(5 + rnd() * 495).toFixed(2)},${Math.floor(rnd() * 10000)},${Math.floor(rnd() * 200)},${e}`);
  }
  writeFileSync(join(at, 'items.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(at, 'categories.json'), JSON.stringify(cats));
  writeFileSync(join(at, 'tailor.json'), JSON.stringify({
    schema: 1, tenant: { id: TENANT, name: 'Large snapshot test' }, built_at: '2026-12-01T00:00:00Z',
    categories: { path: 'categories.json' }, items: { path: 'items.csv' }, embedding: { dim: DIM },
    strategies: [{ id: 'popular', terms: [{ kind: 'popularity', weight: 1 }, { kind: 'embedding', weight: 1 }] }],
    slots: [{ id: 'home', strategy: 'popular', size: 3 }],
  }));
}

before(async () => {
  dir = tempDir();
  const src = join(dir, 'src');
  mkdirSync(src);
  generate(src);
  snap = join(dir, 'large.tsnap');
  for (const args of [['build', '--config', join(src, 'tailor.json'), '--out', snap, '--version', 'big1'],
    ['keygen', '--out', join(dir, 'alice')], ['sign', snap, '--key', join(dir, 'alice.key')]]) {
    const r = await tailor(args);
    assert.equal(r.code, 0, `tailor ${args[0]}: ${r.stderr}`);
  }
  bytes = new Uint8Array(readFileSync(snap));
  pubHex = readFileSync(join(dir, 'alice.pub'), 'utf8').trim();
  envelope = readFileSync(`${snap}.sig.json`, 'utf8');
  // The point of the test: a genuine snapshot that one KV value cannot hold.
  assert.ok(bytes.length > 25 * MiB, `snapshot is ${bytes.length} bytes, not above 25 MiB`);
});

const publicKeys = () => [Uint8Array.from(Buffer.from(pubHex, 'hex'))];

test('LARGE: a >25 MiB snapshot goes to the Cloudflare KV API in chunks of at most 25 MiB, joined and verified', async (t) => {
  const kv = memoryKv();
  const api = await startKvApi({ namespaces: { ns: kv }, accountId: 'acc', token: 'tok' });
  try {
    const r = await tailor(['publish', snap, '--to', 'cloudflare', '--pub', join(dir, 'alice.pub'), '--json'],
      { TAILOR_CF_API_BASE: `${api.url}/client/v4`, CLOUDFLARE_ACCOUNT_ID: 'acc', CLOUDFLARE_API_TOKEN: 'tok',
        TAILOR_KV_NAMESPACE_ID: 'ns' });
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(Buffer.from(kv.map.get(`manifest:${TENANT}`)).toString('utf8'));
    assert.equal(m.chunk_bytes, 25 * MiB);
    assert.equal(m.chunks, Math.ceil(bytes.length / (25 * MiB)));
    assert.ok(m.chunks >= 2);
    t.diagnostic(`snapshot ${bytes.length} bytes in ${m.chunks} chunks`);
    const chunks = Array.from({ length: m.chunks }, (_, i) => kv.map.get(`snapshot:${TENANT}:big1:${i}`));
    for (const c of chunks) assert.ok(c && c.length <= KV_VALUE_LIMIT, `chunk of ${c?.length} bytes`);
    const joined = Buffer.concat(chunks);
    assert.ok(joined.equals(Buffer.from(bytes)), 'joined chunks differ from the snapshot');
    assert.equal(m.sha256, sha256Hex(bytes));
    // The edge's check: signature required, then the engine's own verification of the bytes.
    assert.deepEqual(await verifySnapshot(new Uint8Array(joined), { publicKeys: publicKeys(), signature: m.signature }),
      [JSON.parse(envelope).signatures[0].key_id]);
    const engine = await loadEngine({ wasmPath: process.env.TAILOR_WASM ?? join(repo, 'build/wasi/bin/tailor.wasm') });
    try {
      await engine.loadSnapshot(new Uint8Array(joined), { publicKeys: publicKeys(), signature: m.signature, tenant: TENANT });
      const d = engine.decide({ tenant: TENANT, now: 1764547200, slots: ['home'] });
      assert.equal(d.snapshot.hash, sha256Hex(bytes));
      assert.equal(d.slots[0].items.length, 3);
    } finally {
      engine.dispose();
    }
  } finally {
    await api.close();
  }
});

test('LARGE: the Worker in workerd joins the >25 MiB snapshot from KV, verifies its signature and decides with it', async () => {
  const { startWorker, decide } = await import('../integration/cloudflare/helpers.mjs');
  const { startLocalEdgeApi } = await import('../../edge-adapters/cloudflare/local.mjs');
  const w = await startWorker({ TAILOR_DEFAULT_TENANT: TENANT, TAILOR_PUBLIC_KEYS: pubHex, TAILOR_CACHE_TTL_MS: '0' });
  const api = await startLocalEdgeApi(w.mf, { port: 0 });
  try {
    const r = await tailor(['publish', snap, '--to', `local:${api.url}`, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.json.chunks >= 2);
    const d = await decide(w.mf, 'shop.example.test', { now: 1764547200, slots: ['home'] });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.snapshot.version, 'big1');
    assert.equal(d.json.snapshot.hash, sha256Hex(bytes)); // the Worker's engine holds exactly these bytes
  } finally {
    await api.close();
    await w.dispose();
  }
});

let server;
after(() => server && new Promise((r) => server.close(r)));

test('LARGE: a >25 MiB snapshot published to a directory is joined by the browser loader and its signature verifies', async () => {
  const root = join(dir, 'cdn');
  const r = await tailor(['publish', snap, '--to', `dir:${root}`, '--pub', join(dir, 'alice.pub'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.json.chunks >= 2);
  for (let i = 0; i < r.json.chunks; i++)
    assert.ok(readFileSync(join(root, TENANT, `versions/big1/snapshot.${i}`)).length <= 25 * MiB);
  server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (!path.startsWith(root)) return res.writeHead(403).end();
    try {
      res.writeHead(200).end(readFileSync(path));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  // The loader itself checks the signature when given the keys (as a page would: hex text).
  const got = await fetchPublishedSnapshot(`http://127.0.0.1:${server.address().port}/${TENANT}/manifest.json`,
    { publicKeys: pubHex });
  assert.equal(got.manifest.chunks, r.json.chunks);
  assert.ok(Buffer.from(got.bytes).equals(Buffer.from(bytes)), 'joined chunks differ from the snapshot');
  assert.deepEqual(got.signers, [JSON.parse(envelope).signatures[0].key_id]);
});
