// `tailor publish --to dir:` served by a static HTTP server on loopback, read by the browser
// adapter's manifest loader (edge-adapters/browser/published.js): chunks joined and checked,
// rollback seen at the next load, a corrupted chunk refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { fetchPublishedSnapshot } from '../../edge-adapters/browser/published.js';
import { TENANT, buildVersion, tailor, tempDir } from './helpers.mjs';

let dir, root, server, base, v1, v2;

before(async () => {
  dir = tempDir();
  root = join(dir, 'cdn');
  [v1, v2] = ['v1', 'v2'].map((v) => buildVersion(dir, v));
  server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (!path.startsWith(root)) return res.writeHead(403).end();
    try {
      const body = readFileSync(path);
      res.writeHead(200, { 'content-type': path.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => new Promise((r) => server.close(r)));

const manifestUrl = () => `${base}/${TENANT}/manifest.json`;

test('the browser loader reassembles a chunked snapshot published to a directory', async () => {
  let r = await tailor(['publish', v1.path, '--to', `dir:${root}`, '--chunk-bytes', '1000', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.json.chunks > 1);
  const got = await fetchPublishedSnapshot(manifestUrl());
  assert.equal(got.manifest.version, 'v1');
  assert.deepEqual(Buffer.from(got.bytes), Buffer.from(v1.bytes));

  r = await tailor(['publish', v2.path, '--to', `dir:${root}`, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Buffer.from((await fetchPublishedSnapshot(manifestUrl())).bytes), Buffer.from(v2.bytes));
  r = await tailor(['rollback', '--to', `dir:${root}`, '--tenant', TENANT]);
  assert.equal(r.code, 0, r.stderr);
  const back = await fetchPublishedSnapshot(manifestUrl());
  assert.equal(back.manifest.version, 'v1');
  assert.deepEqual(Buffer.from(back.bytes), Buffer.from(v1.bytes));
});

test('a corrupted or missing chunk is refused by the loader', async () => {
  const r = await tailor(['publish', v1.path, '--to', `dir:${join(dir, 'cdn2')}`, '--chunk-bytes', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const chunk = join(dir, 'cdn2', TENANT, 'versions/v1/snapshot.1');
  const bytes = readFileSync(chunk);
  bytes[10] ^= 1;
  writeFileSync(chunk, bytes);
  root = join(dir, 'cdn2');
  await assert.rejects(fetchPublishedSnapshot(manifestUrl()), (e) => e.code === 'digest_mismatch');
  rmSync(chunk);
  await assert.rejects(fetchPublishedSnapshot(manifestUrl()), (e) => e.code === 'io_error' && /HTTP 404/.test(e.message));
});
