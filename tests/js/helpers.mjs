// Shared by the JS package tests: the built artifacts, snapshots built by the CLI into temp dirs,
// and signing in the envelope format js/src/verify.js checks (Ed25519 over the raw SHA-256 digest).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../../js/src/index.js';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const cli = resolve(process.env.TAILOR_CLI ?? join(repo, 'build/native/bin/tailor'));
export const wasmPath = resolve(process.env.TAILOR_WASM ?? join(repo, 'build/wasi/bin/tailor.wasm'));
if (!existsSync(cli)) throw new Error(`tailor CLI not found at ${cli}: cmake --preset native && cmake --build --preset native`);
if (!existsSync(wasmPath)) throw new Error(`tailor.wasm not found at ${wasmPath}: scripts/build wasi`);

export const wasmBytes = readFileSync(wasmPath);
export const wasmModule = await WebAssembly.compile(wasmBytes);
export const newEngine = () => createEngine({ module: wasmModule });

// A temp dir removed when the process exits (node:test's `after` would bind to whichever hook
// or suite is running, which may end before the tests that use the dir).
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'tailor-js-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Builds the snapshot of a conformance case; returns its bytes. `version` overrides the label.
export function buildSnapshot(caseName, out, { version } = {}) {
  const args = ['build', '--config', join(repo, 'tests/conformance', caseName, 'tailor.json'), '--out', out];
  if (version) args.push('--version', version);
  execFileSync(cli, args, { stdio: 'pipe' });
  return new Uint8Array(readFileSync(out));
}

export const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');
export const basicsRequest = { site: 'us', now: 1764000000, slots: ['home'] };

export async function newSigner() {
  const { publicKey, privateKey } = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
  return { publicKey, privateKey, raw, keyId: sha256Hex(raw).slice(0, 16) };
}

export async function signature(signer, bytes) {
  const digest = createHash('sha256').update(bytes).digest();
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, signer.privateKey, digest));
  return { key_id: signer.keyId, alg: 'ed25519', sig: Buffer.from(sig).toString('base64') };
}

export async function envelope(bytes, signers) {
  const signatures = [];
  for (const s of signers) signatures.push(await signature(s, bytes));
  return { schema: 1, sha256: sha256Hex(bytes), signatures };
}
