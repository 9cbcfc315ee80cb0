// Snapshot signature envelopes, checked with WebCrypto before a snapshot may be activated:
//   {"schema":1,"sha256":"<hex of the snapshot bytes>","signatures":[
//     {"key_id":"<first 16 hex of sha256(raw public key)>","alg":"ed25519","sig":"<base64>"}]}
// Each signature is Ed25519 over the 32 raw digest bytes. A snapshot passes when at least
// `requiredSignatures` distinct trusted keys signed it (the two-person rule at publish time).
import { TailorError } from './errors.js';

const subtle = () => globalThis.crypto.subtle;
const ED25519 = { name: 'Ed25519' };

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest('SHA-256', bytes));
}

export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export async function sha256Hex(bytes) {
  return toHex(await sha256(bytes));
}

// Throws TailorError (signature_missing, signature_invalid, signature_insufficient,
// digest_mismatch, invalid_argument) unless `bytes` carry enough valid signatures.
export async function verifySnapshot(bytes, { publicKeys, signature, requiredSignatures = 1 }) {
  const keys = await trustedKeys(publicKeys);
  if (!Number.isInteger(requiredSignatures) || requiredSignatures < 1 || requiredSignatures > keys.size)
    throw new TailorError('invalid_argument',
      `requiredSignatures must be an integer from 1 to the number of distinct public keys (${keys.size})`);
  const envelope = parseEnvelope(signature);
  const digest = await sha256(bytes);
  const hex = toHex(digest);
  if (envelope.sha256.toLowerCase() !== hex)
    throw new TailorError('digest_mismatch', `snapshot sha256 ${hex} does not match the signed digest ${envelope.sha256}`);

  const signedBy = new Set();
  for (const s of envelope.signatures) {
    const key = s && s.alg === 'ed25519' ? keys.get(s.key_id) : undefined;
    if (!key || signedBy.has(s.key_id)) continue;
    const sig = fromBase64(s.sig);
    if (sig && await subtle().verify(ED25519, key, sig, digest)) signedBy.add(s.key_id);
  }
  if (signedBy.size >= requiredSignatures) return [...signedBy];
  if (signedBy.size === 0)
    throw new TailorError('signature_invalid', 'no signature in the envelope verifies with a trusted public key');
  throw new TailorError('signature_insufficient',
    `${signedBy.size} valid signature(s) from trusted keys, ${requiredSignatures} required`);
}

// key_id → verify-capable CryptoKey. Raw keys are 32-byte Ed25519 public keys.
async function trustedKeys(publicKeys) {
  if (!Array.isArray(publicKeys) || publicKeys.length === 0)
    throw new TailorError('invalid_argument', 'publicKeys must be a non-empty array');
  const keys = new Map();
  for (const k of publicKeys) {
    let raw, key;
    if (typeof CryptoKey !== 'undefined' && k instanceof CryptoKey) {
      if (k.algorithm.name !== 'Ed25519' || k.type !== 'public')
        throw new TailorError('invalid_argument', 'publicKeys: CryptoKeys must be Ed25519 public keys');
      if (!k.extractable)
        throw new TailorError('invalid_argument', 'publicKeys: CryptoKeys must be extractable (their key_id is a hash of the raw key)');
      raw = new Uint8Array(await subtle().exportKey('raw', k));
      key = k;
    } else if (k instanceof Uint8Array && k.length === 32) {
      raw = k;
      key = await subtle().importKey('raw', k, ED25519, true, ['verify']);
    } else {
      throw new TailorError('invalid_argument', 'publicKeys: each key is a CryptoKey or a 32-byte raw Ed25519 public key (Uint8Array)');
    }
    keys.set(toHex(await sha256(raw)).slice(0, 16), key);
  }
  return keys;
}

function parseEnvelope(signature) {
  if (signature == null || signature === '')
    throw new TailorError('signature_missing', 'the snapshot has no signature envelope and publicKeys were given');
  let env = signature;
  try {
    if (env instanceof Uint8Array) env = new TextDecoder().decode(env);
    if (typeof env === 'string') env = JSON.parse(env);
  } catch (e) {
    throw new TailorError('signature_invalid', `signature envelope is not JSON: ${e.message}`);
  }
  if (!env || env.schema !== 1 || typeof env.sha256 !== 'string' || !Array.isArray(env.signatures))
    throw new TailorError('signature_invalid', 'signature envelope must be {"schema":1,"sha256":"<hex>","signatures":[...]}');
  if (env.signatures.length === 0)
    throw new TailorError('signature_missing', 'the signature envelope holds no signatures');
  return env;
}

function fromBase64(text) {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null; // malformed: this signature simply does not count
  }
}
