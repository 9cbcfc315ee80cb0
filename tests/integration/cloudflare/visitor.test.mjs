// The Worker's own part of POST /v1/decide in real workerd: the visitor cookie (set when absent,
// reused when present, and the same profile found through it), profiles from KV, consent from the
// tailor_consent cookie, the fields it fills (tenant, now, site) and never overrides, and the
// HTTP status of each kind of failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildCase, decide, publishProfiles, publishSnapshot, startWorker, tempDir, userHash } from './helpers.mjs';

const TENANT = 'conf-basics';
let worker, basics, fanProfile;
before(async () => {
  basics = buildCase('basics', tempDir());
  fanProfile = basics.profiles.get(await userHash(TENANT, 'fan'));
  assert.ok(fanProfile, 'the basics case has a profile for visitor "fan"');
  worker = await startWorker({ TAILOR_TENANTS: JSON.stringify({ 'shop.example.test': TENANT }), TAILOR_SITE: 'us' });
  await publishSnapshot(worker.kv, TENANT, basics.bytes, { version: 'v1' });
});
after(() => worker?.dispose());

const VID = /^tailor_vid=([0-9a-f-]{36}); Path=\/; Max-Age=31536000; SameSite=Lax; Secure; HttpOnly$/;

test('a visitor without tailor_vid gets a random one; with it, it is kept and its KV profile is used', async () => {
  const first = await decide(worker.mf, 'shop.example.test', { slots: ['for-you'] });
  assert.equal(first.status, 200, first.text);
  const m = VID.exec(first.headers.get('set-cookie') ?? '');
  assert.ok(m, `Set-Cookie: ${first.headers.get('set-cookie')}`);
  assert.equal(first.json.personalized, false, 'no profile in KV yet');

  const again = await decide(worker.mf, 'shop.example.test', { slots: ['for-you'] });
  assert.notEqual(VID.exec(again.headers.get('set-cookie'))[1], m[1], 'each new visitor gets its own id');

  // The origin publishes a profile for that visitor (hash of tenant:vid, as tailor profiles names it).
  await publishProfiles(worker.kv, TENANT, [[await userHash(TENANT, m[1]), fanProfile]]);
  const cookie = `other=1; tailor_vid=${m[1]}`;
  const second = await decide(worker.mf, 'shop.example.test', { slots: ['for-you'] }, { cookie });
  assert.equal(second.status, 200, second.text);
  assert.equal(second.headers.get('set-cookie'), null, 'a known visitor is not given a new id');
  assert.equal(second.json.personalized, true, 'the profile under hash(tenant:vid) was used');
  assert.deepEqual(second.json.slots[0].terms_off, []);
  // The same visitor and request decide the same again.
  const third = await decide(worker.mf, 'shop.example.test', { slots: ['for-you'], now: second.json.now }, { cookie });
  assert.equal(third.text, second.text);
});

test('a profile in KV makes the decision personalized; tailor_consent can withhold it', async () => {
  const cookie = 'tailor_vid=fan';
  await publishProfiles(worker.kv, TENANT, basics.profiles);
  const yes = await decide(worker.mf, 'shop.example.test', { now: 1764000000, slots: ['for-you'] }, { cookie });
  assert.equal(yes.json.personalized, true, yes.text);
  const no = await decide(worker.mf, 'shop.example.test', { now: 1764000000, slots: ['for-you'] },
    { cookie: `${cookie}; tailor_consent=analytics` });
  assert.equal(no.json.personalized, false, 'a consent cookie without personalization switches it off');
  assert.ok(no.json.slots[0].terms_off.length > 0);
  const given = await decide(worker.mf, 'shop.example.test', { now: 1764000000, slots: ['for-you'] },
    { cookie: 'tailor_vid=shy; tailor_consent=analytics,personalization' });
  assert.equal(given.json.personalized, true, 'consent from the cookie applies to a profile without its own');
  const body = await decide(worker.mf, 'shop.example.test', { now: 1764000000, consent: [], slots: ['for-you'] },
    { cookie: `${cookie}; tailor_consent=personalization` });
  assert.equal(body.json.personalized, false, 'the body\'s consent wins over the cookie');
});

test('the Worker fills tenant, now (clock) and site (TAILOR_SITE) only when absent', async () => {
  const t0 = Math.floor(Date.now() / 1000);
  const r = await decide(worker.mf, 'shop.example.test', { slots: ['home'] });
  const t1 = Math.floor(Date.now() / 1000);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.tenant, TENANT);
  assert.equal(r.json.site, 'us');
  assert.ok(r.json.now >= t0 && r.json.now <= t1, `now ${r.json.now} within [${t0}, ${t1}]`);
  const eu = await decide(worker.mf, 'shop.example.test', { site: 'eu', now: 1764000000, slots: ['home'] });
  assert.equal(eu.json.site, 'eu');
  assert.equal(eu.json.now, 1764000000);
  const ctx = await decide(worker.mf, 'shop.example.test', { now: 1764000000, slots: ['home'], context: { device: 'kiosk' } },
    { headers: { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148' } });
  assert.equal(ctx.status, 200, 'a caller context object is kept and extended');
  const plain = await decide(worker.mf, 'shop.example.test', { now: 1764000000, slots: ['home'] });
  assert.equal(ctx.text, plain.text, 'context never changes the decision');
});

test('request errors are 400, a wrong method 405, with {"error":{code,message}}', async () => {
  for (const [body, code] of [['{"slots":', 'parse_error'], [{ slots: ['nope'] }, 'unknown_slot'],
    [{ slots: [{ id: 'home', size: 500 }] }, 'limit_exceeded'], [{ tenant: 'other', slots: ['home'] }, 'invalid_argument'],
    [{ slots: Array(17).fill('home') }, 'limit_exceeded']]) {
    const r = await decide(worker.mf, 'shop.example.test', body);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, code, r.text);
    assert.ok(r.json.error.message.length > 0);
  }
  const big = await decide(worker.mf, 'shop.example.test', { slots: ['home'], pad: 'x'.repeat(80 * 1024) });
  assert.equal(big.status, 400);
  assert.equal(big.json.error.code, 'limit_exceeded');
  const get = await worker.mf.dispatchFetch('https://shop.example.test/v1/decide');
  assert.equal(get.status, 405);
  assert.equal((await get.json()).error.code, 'invalid_argument');
});

test('a corrupt profile in KV is a server error (500), not the visitor\'s', async () => {
  await worker.kv.put(`profile:${TENANT}:${await userHash(TENANT, 'broken')}`, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  const r = await decide(worker.mf, 'shop.example.test', { now: 1764000000, slots: ['for-you'] }, { cookie: 'tailor_vid=broken' });
  assert.equal(r.status, 500, r.text);
  assert.equal(r.json.error.code, 'profile_invalid');
});

test('no manifest for the tenant, or no tenant for the host: 503 / 400', async () => {
  const other = await startWorker({ TAILOR_DEFAULT_TENANT: 'nobody' });
  try {
    const r = await decide(other.mf, 'anything.example.test', { slots: ['home'] });
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'no_snapshot');
    assert.ok(VID.test(r.headers.get('set-cookie')), 'the visitor id is set even when nothing can be decided');
  } finally {
    await other.dispose();
  }
  const r = await decide(worker.mf, 'unmapped.example.test', { slots: ['home'] });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.code, 'invalid_argument');
});
