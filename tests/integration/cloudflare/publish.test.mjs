// The local edge (the Worker in real workerd) fed by `tailor publish --to local:URL` through its
// publishing API (local.mjs: the Cloudflare KV API subset over the Worker's own KV): the Worker
// serves what the CLI made live, picks up a new version and a `tailor rollback`, and accepts the
// CLI's signature envelopes when it requires signatures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCase, cli, decide, eventually, repo, startWorker, tempDir } from './helpers.mjs';

const { startLocalEdgeApi } = await import(join(repo, 'edge-adapters/cloudflare/local.mjs'));
const TENANT = 'conf-basics';
const HOST = 'shop.example.test';
const REQ = { site: 'us', now: 1764000000, slots: ['home'] };

// Async: the publishing API answers from this process.
const tailor = (args, env = {}) => new Promise((resolve) => {
  execFile(cli, args, { env: { ...process.env, ...env }, encoding: 'utf8' }, (err, stdout, stderr) =>
    resolve({ code: err ? err.code : 0, stdout, stderr }));
});

async function withLocalEdge(bindings, fn) {
  const w = await startWorker({ TAILOR_DEFAULT_TENANT: TENANT, TAILOR_CACHE_TTL_MS: '0', ...bindings });
  const api = await startLocalEdgeApi(w.mf, { port: 0 });
  try { await fn({ ...w, api }); } finally { await api.close(); await w.dispose(); }
}

const served = async (mf) => {
  const r = await decide(mf, HOST, REQ);
  return r.status === 200 ? r.json.snapshot.version : `${r.status} ${r.json?.error?.code}`;
};

test('the Worker serves what tailor publish made live, then a new version, then a rollback', async () => {
  const dir = tempDir();
  const v1 = buildCase('basics', dir, { version: 'v1' });
  const v2 = buildCase('basics', dir, { version: 'v2' });
  await withLocalEdge({}, async ({ mf, api }) => {
    assert.equal(await served(mf), '503 no_snapshot');
    let r = await tailor(['publish', v1.path, '--to', `local:${api.url}`, '--chunk-bytes', '2000']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await served(mf), 'v1');
    const expected = execFileSync(cli, ['decide', '--snapshot', v1.path], { input: JSON.stringify({ ...REQ, tenant: TENANT }), encoding: 'utf8' }).trimEnd();
    const edge = await decide(mf, HOST, REQ);
    assert.equal(edge.text, expected); // chunks reassembled by the Worker: the same decision bytes
    r = await tailor(['publish', v2.path, '--to', `local:${api.url}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await eventually(async () => (await served(mf)) === 'v2'), true);
    r = await tailor(['rollback', '--to', `local:${api.url}`, '--tenant', TENANT]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await eventually(async () => (await served(mf)) === 'v1'), true);
  });
});

test('a Worker that requires two signatures serves a snapshot signed and published by the CLI', async () => {
  const dir = tempDir();
  const v1 = buildCase('basics', dir, { version: 'v1' });
  const pubs = [];
  for (const name of ['alice', 'bob']) {
    execFileSync(cli, ['keygen', '--out', join(dir, name)], { stdio: 'pipe' });
    pubs.push(readFileSync(join(dir, `${name}.pub`), 'utf8').trim());
  }
  await withLocalEdge({ TAILOR_PUBLIC_KEYS: JSON.stringify(pubs), TAILOR_REQUIRED_SIGNATURES: '2' }, async ({ mf, api }) => {
    const keys = `${join(dir, 'alice.pub')},${join(dir, 'bob.pub')}`;
    execFileSync(cli, ['sign', v1.path, '--key', join(dir, 'alice.key')], { stdio: 'pipe' });
    let r = await tailor(['publish', v1.path, '--to', `local:${api.url}`, '--pub', keys, '--required', '2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /under-signed: 1 of 2/);
    assert.equal(await served(mf), '503 no_snapshot');
    execFileSync(cli, ['sign', v1.path, '--key', join(dir, 'bob.key')], { stdio: 'pipe' });
    r = await tailor(['publish', v1.path, '--to', `local:${api.url}`, '--pub', keys, '--required', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await served(mf), 'v1');
  });
});
