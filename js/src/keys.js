// Approvers' public keys and the required signature count as edge settings carry them
// (environment variables, TAILOR_TENANT_SETTINGS, Fastly's Config Store). Every adapter reads
// them with these two functions, so every adapter accepts the same formats (docs/edge.md):
//   "3b6a…29,9a0e…11"            comma-separated, each key 64 hex characters (what `tailor keygen`
//                                 writes to .pub and `tailor keys` prints: the recommended form)
//   "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmPASooYtZ2ik=,…"  comma-separated base64 of the 32 raw bytes
//   ["3b6a…29", "O2on…ik="]       a JSON array (or its text) of either, mixed allowed
// Whitespace around keys is ignored. Anything else is an `invalid_argument` error naming `what`.
import { TailorError } from './errors.js';

const MAX_KEYS = 64;
const HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]{43}=?$|^[A-Za-z0-9_-]{43}$/;

function decodeKey(text, what, i) {
  const s = text.trim();
  if (HEX.test(s)) return Uint8Array.from(s.match(/../g), (b) => parseInt(b, 16));
  if (BASE64.test(s)) {
    const std = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=?$/, '=');
    const bin = atob(std);
    if (bin.length === 32) return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }
  throw new TailorError('invalid_argument',
    `${what}: key ${i + 1} ('${s.length > 20 ? `${s.slice(0, 20)}…` : s}') is neither 64 hex characters nor ` +
    'the base64 of 32 bytes (a raw Ed25519 public key: `tailor keys` prints them)');
}

// undefined for an absent or empty setting; else an array of 32-byte Uint8Arrays (at least one).
export function parsePublicKeys(value, what = 'public keys') {
  if (value === undefined || value === null) return undefined;
  let list = value;
  if (typeof value === 'string') {
    const s = value.trim();
    if (s === '') return undefined;
    if (s.startsWith('[')) {
      try {
        list = JSON.parse(s);
      } catch (e) {
        throw new TailorError('invalid_argument', `${what}: starts with '[' but is not a JSON array: ${e.message}`);
      }
    } else {
      list = s.split(',');
    }
  }
  if (!Array.isArray(list) || list.length === 0)
    throw new TailorError('invalid_argument',
      `${what}: expected comma-separated keys (64 hex characters or base64 each) or a JSON array of them`);
  if (list.length > MAX_KEYS) throw new TailorError('invalid_argument', `${what}: at most ${MAX_KEYS} keys`);
  return list.map((k, i) => {
    if (k instanceof Uint8Array && k.length === 32) return k;
    if (typeof k !== 'string') throw new TailorError('invalid_argument', `${what}: key ${i + 1} is not a string`);
    return decodeKey(k, what, i);
  });
}

// undefined for an absent or empty setting; else an integer 1..64 (a number or its decimal text).
export function parseRequiredSignatures(value, what = 'required signatures') {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_KEYS)
    throw new TailorError('invalid_argument', `${what}: expected an integer 1..${MAX_KEYS}, got '${value}'`);
  return n;
}
