// Shared by the workerd tests: the Worker (edge-adapters/cloudflare/src/worker.js) in REAL workerd
// through Miniflare, snapshots and profiles built by the native CLI into temp dirs, KV publishing
// through edge-adapters/cloudflare/publish.mjs, and Ed25519 signing in the envelope format
// js/src/verify.js checks.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCaseProfiles } from '../../conformance/profiles.mjs';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const cli = resolve(process.env.TAILOR_CLI ?? join(repo, 'build/native/bin/tailor'));
export const wasmPath = resolve(process.env.TAILOR_WASM ?? join(repo, 'build/wasi/bin/tailor.wasm'));
if (!existsSync(cli)) throw new Error(`tailor CLI not found at ${cli}: cmake --preset native && cmake --build --preset native`);
if (!existsSync(wasmPath)) throw new Error(`tailor.wasm not found at ${wasmPath}: scripts/build wasi`);

// Never skip: a missing runtime is a failure with the fix in the message.
let Miniflare;
try {
  const require = createRequire(join(repo, 'package.json'));
  ({ Miniflare } = await import(require.resolve('miniflare')));
} catch (e) {
  throw new Error(`miniflare (real workerd) is not installed in ${repo}/node_modules: run \`npm ci\` in ${repo} (${e.message})`);
}
export { Miniflare };

const adapter = join(repo, 'edge-adapters/cloudflare');
export const { publishSnapshot, publishProfiles, userHash } = await import(join(adapter, 'publish.mjs'));
const { workerOptions: localWorkerOptions } = await import(join(adapter, 'local.mjs'));


// A Worker in workerd with a fresh in-memory KV. `bindings` are the [vars] (strings).
export function workerOptions(bindings = {}) {
  return localWorkerOptions({ wasmPath, bindings });
}

export async function startWorker(bindings = {}) {
  const mf = new Miniflare(workerOptions(bindings));
  try {
    await mf.ready;
  } catch (e) {
    await mf.dispose().catch(() => {}); // a runtime that failed to start must not keep the test alive
    throw e;
  }
  const kv = await mf.getKVNamespace('TAILOR_KV');
  return { mf, kv, dispose: () => mf.dispose() };
}

export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'tailor-cf-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const caseDir = (name) => join(repo, 'tests/conformance', name);
export const caseConfig = (name) => JSON.parse(readFileSync(join(caseDir(name), 'tailor.json'), 'utf8'));

// Builds a conformance case's snapshot (and its profiles when it has events) into `dir`.
export function buildCase(name, dir, { version } = {}) {
  const out = join(dir, `${name}${version ? `-${version}` : ''}.tsnap`);
  const args = ['build', '--config', join(caseDir(name), 'tailor.json'), '--out', out];
  if (version) args.push('--version', version);
  execFileSync(cli, args, { stdio: 'pipe' });
  const bytes = new Uint8Array(readFileSync(out));
  const profiles = new Map();
  const pdir = join(dir, `${name}-profiles`);
  if (buildCaseProfiles(cli, caseDir(name), out, pdir)) {
    for (const f of readdirSync(pdir).filter((n) => n.endsWith('.tprof')))
      profiles.set(f.replace(/\.tprof$/, ''), new Uint8Array(readFileSync(join(pdir, f))));
  }
  const info = JSON.parse(execFileSync(cli, ['inspect', out], { encoding: 'utf8' }));
  return { path: out, bytes, profiles, info };
}

export const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');

export async function newSigner() {
  const { publicKey, privateKey } = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
  return { privateKey, raw, hex: Buffer.from(raw).toString('hex'), keyId: sha256Hex(raw).slice(0, 16) };
}

// {"schema":1,"sha256","signatures":[{key_id, alg:"ed25519", sig}]}: Ed25519 over the raw digest.
export async function envelope(bytes, signers) {
  const digest = createHash('sha256').update(bytes).digest();
  const signatures = [];
  for (const s of signers) {
    const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, s.privateKey, digest));
    signatures.push({ key_id: s.keyId, alg: 'ed25519', sig: Buffer.from(sig).toString('base64') });
  }
  return { schema: 1, sha256: sha256Hex(bytes), signatures };
}

// POST /v1/decide on `host`; returns {status, headers, text, json}.
export async function decide(mf, host, body, { cookie, headers = {} } = {}) {
  const h = { 'content-type': 'application/json', ...headers };
  if (cookie) h.cookie = cookie;
  const res = await mf.dispatchFetch(`https://${host}/v1/decide`, {
    method: 'POST', headers: h, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `fn` until it returns a truthy value or `ms` passes.
export async function eventually(fn, { ms = 5000, step = 50 } = {}) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await sleep(step);
  }
}
