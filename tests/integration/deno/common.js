// Shared by the Deno tests: what the node wrapper (deno.test.mjs) built, and tailor.wasm.
import { TailorError } from '../../../js/src/index.js';

const work = Deno.env.get('TAILOR_DENO_WORK');
if (!work) throw new Error('TAILOR_DENO_WORK is not set: run through tests/integration/deno/deno.test.mjs (node --test)');
export const { files, cases } = JSON.parse(await Deno.readTextFile(`${work}/cases.json`));
export const wasmPath = Deno.env.get('TAILOR_WASM');
export const wasmModule = await WebAssembly.compile(await Deno.readFile(wasmPath));

// Every vector of a case: {name, request (text), expected (text without the final newline) | error (code)}.
export function vectorsOf(c) {
  const dir = `${c.caseDir}/vectors`;
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith('.request.json')).sort();
  return names.map((f) => {
    const name = f.replace(/\.request\.json$/, '');
    const request = Deno.readTextFileSync(`${dir}/${f}`);
    const read = (suffix) => { try { return Deno.readTextFileSync(`${dir}/${name}${suffix}`); } catch { return null; } };
    const error = read('.error');
    const expected = read('.expected.json');
    if (error === null && expected === null) throw new Error(`${dir}/${name}: neither .expected.json nor .error`);
    return { name, request, expected: expected?.replace(/\n$/, ''), error: error?.trim() };
  });
}

export function userIdOf(requestText) {
  try { return JSON.parse(requestText)?.user?.id ?? null; } catch { return null; }
}

export const toHex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
export const sha256Hex = async (bytes) => toHex(await crypto.subtle.digest('SHA-256', bytes));

export async function profileFor(c, userId) {
  if (!userId) return null;
  const hash = (await sha256Hex(new TextEncoder().encode(`${c.tenant}:${userId}`))).slice(0, 32);
  try { return await Deno.readFile(`${c.profiles}/${hash}.tprof`); } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}
export function assertEquals(actual, expected, message = '') {
  if (actual !== expected)
    throw new Error(`${message}\n  actual:   ${String(actual).slice(0, 400)}\n  expected: ${String(expected).slice(0, 400)}`);
}
export async function assertRejectsCode(promiseOrFn, code) {
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    assert(e instanceof TailorError, `expected TailorError ${code}, got ${e?.name}: ${e?.message}`);
    assertEquals(e.code, code, `TailorError code (${e.message})`);
    return e;
  }
  throw new Error(`expected TailorError ${code}, nothing was thrown`);
}

// Ed25519 signing in the envelope format js/src/verify.js checks.
export async function newSigner() {
  const { publicKey, privateKey } = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
  return { publicKey, privateKey, raw, keyId: (await sha256Hex(raw)).slice(0, 16) };
}
export async function envelope(bytes, signers) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const signatures = [];
  for (const s of signers) {
    const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, s.privateKey, digest));
    signatures.push({ key_id: s.keyId, alg: 'ed25519', sig: btoa(String.fromCharCode(...sig)) });
  }
  return { schema: 1, sha256: toHex(digest), signatures };
}

// Serves `handler` on 127.0.0.1 with an ephemeral port; returns {url, close}.
export function serve(handler) {
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, handler);
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}
