// Approvers' public keys as edge settings carry them (js/src/keys.js) and each adapter's settings
// reader built on it: every adapter takes comma-separated hex (what `tailor keys` prints), base64
// (the older form of the Deno, Vercel, Netlify and Fastly adapters) and a JSON array (the older
// form of the Cloudflare Worker). The Cloudflare Worker itself is tested in workerd
// (tests/integration/cloudflare/snapshots.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { TailorError, parsePublicKeys, parseRequiredSignatures } from '../../js/src/index.js';
import { deploySettings } from '../../edge-adapters/deno/deno_deploy.js';
import { urlSourceOptions } from '../../edge-adapters/deno/url_source.js';
import { fastlySettings } from '../../edge-adapters/fastly/src/settings.js';

const rawKey = () => new Uint8Array(Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x, 'base64url'));
const [a, b] = [rawKey(), rawKey()];
const hex = (k) => Buffer.from(k).toString('hex');
const b64 = (k) => Buffer.from(k).toString('base64');
const b64url = (k) => Buffer.from(k).toString('base64url');
const same = (got, want) => assert.deepEqual(got.map((k) => hex(k)), want.map((k) => hex(k)));

const FORMS = {
  'comma-separated hex (recommended)': `${hex(a)},${hex(b)}`,
  'comma-separated hex with spaces and upper case': ` ${hex(a).toUpperCase()} , ${hex(b)} `,
  'comma-separated base64': `${b64(a)},${b64(b)}`,
  'base64 without padding and base64url': `${b64(a).replace(/=$/, '')},${b64url(b)}`,
  'JSON array of hex (the Cloudflare Worker\'s older form)': JSON.stringify([hex(a), hex(b)]),
  'JSON array mixing hex and base64': JSON.stringify([b64(a), hex(b)]),
};

for (const [name, text] of Object.entries(FORMS)) {
  test(`parsePublicKeys: ${name}`, () => same(parsePublicKeys(text, 'K'), [a, b]));
}

test('parsePublicKeys: an array value, raw keys, and absent or empty settings', () => {
  same(parsePublicKeys([hex(a), b64(b)]), [a, b]);
  same(parsePublicKeys([a]), [a]);
  for (const v of [undefined, null, '', '   ']) assert.equal(parsePublicKeys(v), undefined);
});

test('parsePublicKeys: malformed settings are invalid_argument errors that name the setting and the key', () => {
  const bad = (value, re) => assert.throws(() => parsePublicKeys(value, 'TAILOR_PUBLIC_KEYS'), (e) => {
    assert.ok(e instanceof TailorError);
    assert.equal(e.code, 'invalid_argument');
    assert.match(e.message, re);
    return true;
  });
  bad(`${hex(a)},${hex(a).slice(2)}`, /^TAILOR_PUBLIC_KEYS: key 2 .*neither 64 hex characters nor the base64 of 32 bytes/);
  bad(`${hex(a)},`, /key 2 \(''\)/);                                            // a trailing comma
  bad(b64(new Uint8Array(31)), /key 1/);                                        // 31 bytes
  bad(Buffer.from(new Uint8Array(33)).toString('base64'), /key 1/);            // 33 bytes
  bad('[1, 2]', /key 1 is not a string/);
  bad('[]', /expected comma-separated keys/);
  bad('[not json', /starts with '\[' but is not a JSON array/);
  bad({ key: hex(a) }, /expected comma-separated keys/);
  bad(Array(65).fill(hex(a)), /at most 64 keys/);
});

test('parseRequiredSignatures: 1..64 as a number or text; anything else is an error', () => {
  assert.equal(parseRequiredSignatures('2'), 2);
  assert.equal(parseRequiredSignatures(3), 3);
  assert.equal(parseRequiredSignatures(' 1 '), 1);
  for (const v of [undefined, null, '']) assert.equal(parseRequiredSignatures(v), undefined);
  for (const v of ['0', '65', '1.5', 'two', '2x', -1, 2.5])
    assert.throws(() => parseRequiredSignatures(v, 'TAILOR_REQUIRED_SIGNATURES'), /^TailorError: TAILOR_REQUIRED_SIGNATURES: expected an integer 1\.\.64/);
});

const envOf = (vars) => (k) => vars[k];

test('Deno Deploy (deno_deploy.js): TAILOR_PUBLIC_KEYS in every form, TAILOR_REQUIRED_SIGNATURES', () => {
  for (const text of Object.values(FORMS)) {
    const s = deploySettings(envOf({ TAILOR_TENANT: 't', TAILOR_PUBLIC_KEYS: text, TAILOR_REQUIRED_SIGNATURES: '2' }));
    same(s.publicKeys, [a, b]);
    assert.equal(s.requiredSignatures, 2);
  }
  const none = deploySettings(envOf({ TAILOR_TENANT: 't' }));
  assert.equal(none.publicKeys, undefined);
  assert.equal(none.requiredSignatures, undefined);
  assert.throws(() => deploySettings(envOf({ TAILOR_TENANT: 't', TAILOR_PUBLIC_KEYS: 'zz' })), /TAILOR_PUBLIC_KEYS: key 1/);
});

test('Vercel and Netlify (url_source.js): TAILOR_PUBLIC_KEYS in every form, TAILOR_REQUIRED_SIGNATURES', () => {
  const base = { TAILOR_TENANT: 't', TAILOR_SNAPSHOT_URL: 'https://origin.test/snap' };
  for (const text of Object.values(FORMS)) {
    const o = urlSourceOptions(envOf({ ...base, TAILOR_PUBLIC_KEYS: text, TAILOR_REQUIRED_SIGNATURES: '2' }), () => {});
    same(o.publicKeys, [a, b]);
    assert.equal(o.requiredSignatures, 2);
  }
  assert.throws(() => urlSourceOptions(envOf({ ...base, TAILOR_PUBLIC_KEYS: hex(a), TAILOR_REQUIRED_SIGNATURES: 'all' }), () => {}),
    /TAILOR_REQUIRED_SIGNATURES: expected an integer/);
});

test('Fastly (Config Store tailor_config): public_keys in every form, required_signatures', () => {
  for (const text of Object.values(FORMS)) {
    const s = fastlySettings(envOf({ tenant: 't', public_keys: text, required_signatures: '2' }));
    same(s.publicKeys, [a, b]);
    assert.equal(s.requiredSignatures, 2);
  }
  assert.throws(() => fastlySettings(envOf({ tenant: 't', public_keys: `${hex(a)};${hex(b)}` })),
    /config store tailor_config: public_keys: key 1/);
  assert.throws(() => fastlySettings(envOf({})), /key "tenant" is not set/);
});
