// HTML personalization in real workerd: a page (KV `page:<path>`, or the TAILOR_ORIGIN site
// served here by Miniflare's outboundService, no network) goes through HTMLRewriter and every
// data-tailor-slot element gets the ranked items of ONE decision for all the page's slots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare, buildCase, caseDir, decide, publishProfiles, publishSnapshot, startWorker, tempDir } from './helpers.mjs';

const TENANT = 'conf-basics';
const PAGE = `<!doctype html><html><head><title>Shop</title></head><body>
<h1>Welcome</h1>
<ul id="a" data-tailor-slot="home"><li>default home</li></ul>
<p>between</p>
<ol id="b" data-tailor-slot='new'>default new</ol>
<footer>bye</footer>
</body></html>`;

let worker, basics;
before(async () => {
  basics = buildCase('basics', tempDir());
  worker = await startWorker({ TAILOR_DEFAULT_TENANT: TENANT, TAILOR_SITE: 'us' });
  await publishProfiles(worker.kv, TENANT, basics.profiles);
  await publishSnapshot(worker.kv, TENANT, basics.bytes, { version: 'v1' });
  await worker.kv.put('page:/', PAGE);
  await worker.kv.put('page:/for-you', '<html><body><ul data-tailor-slot="for-you"></ul></body></html>');
  await worker.kv.put('page:/broken', '<html><body><ul data-tailor-slot="home">keep</ul><ul data-tailor-slot="nope">me</ul></body></html>');
});
after(() => worker?.dispose());

const esc = (t) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// [{slot, items: [{id, inner}]}] from the rewritten page.
function slotsOf(html) {
  return [...html.matchAll(/<(ul|ol)[^>]*data-tailor-slot=["']([^"']+)["'][^>]*>(.*?)<\/\1>/gs)].map((m) => ({
    slot: m[2],
    items: [...m[3].matchAll(/<li data-tailor-item="([^"]*)">(.*?)<\/li>/g)].map((i) => ({ id: i[1], inner: i[2] })),
    inner: m[3],
  }));
}

test('two data-tailor-slot elements are filled from one decision; the rest of the page is untouched', async () => {
  const res = await worker.mf.dispatchFetch('https://shop.example.test/');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.equal(res.headers.get('x-tailor-snapshot'), 'v1');
  assert.equal(res.headers.get('cache-control'), 'private, no-store');
  const vid = /^tailor_vid=([0-9a-f-]{36});/.exec(res.headers.get('set-cookie'))?.[1];
  assert.ok(vid, 'a new visitor gets its id on the page response too');
  const html = await res.text();
  for (const keep of ['<h1>Welcome</h1>', '<p>between</p>', '<footer>bye</footer>', 'id="a"', 'id="b"'])
    assert.ok(html.includes(keep), `kept ${keep}`);
  assert.ok(!html.includes('default home') && !html.includes('default new'));
  const slots = slotsOf(html);
  assert.deepEqual(slots.map((s) => s.slot), ['home', 'new']);
  // The same visitor asking the API for the same slots gets the same items in the same order.
  const api = await decide(worker.mf, 'shop.example.test', { slots: ['home', 'new'] }, { cookie: `tailor_vid=${vid}` });
  for (const [i, s] of slots.entries()) {
    const items = api.json.slots[i].items;
    assert.ok(items.length > 0);
    assert.deepEqual(s.items.map((x) => x.id), items.map((x) => x.id), s.slot);
    for (const [j, it] of items.entries()) {
      assert.equal(s.items[j].inner,
        `<span class="tailor-title">${esc(it.title)}</span> <span class="tailor-price">${it.price.toFixed(2)}</span>`);
    }
  }
});

test('a known visitor with a profile gets personalized slots in the page', async () => {
  const page = async (cookie) => slotsOf(await (await worker.mf.dispatchFetch('https://shop.example.test/for-you',
    { headers: cookie ? { cookie } : {} })).text())[0].items.map((i) => i.id);
  const fan = await page('tailor_vid=fan');
  const api = await decide(worker.mf, 'shop.example.test', { slots: ['for-you'] }, { cookie: 'tailor_vid=fan' });
  assert.equal(api.json.personalized, true);
  assert.deepEqual(fan, api.json.slots[0].items.map((i) => i.id));
  const anon = await decide(worker.mf, 'shop.example.test', { slots: ['for-you'] });
  assert.notDeepEqual(fan, anon.json.slots[0].items.map((i) => i.id), 'the profile changed the page');
});

test('a failing decision serves the page unchanged and says why; missing pages are 404', async () => {
  const res = await worker.mf.dispatchFetch('https://shop.example.test/broken');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tailor-error'), 'unknown_slot');
  assert.equal(await res.text(), '<html><body><ul data-tailor-slot="home">keep</ul><ul data-tailor-slot="nope">me</ul></body></html>');
  assert.equal((await worker.mf.dispatchFetch('https://shop.example.test/missing')).status, 404);
});

test('titles are HTML-escaped; TAILOR_ORIGIN pages are fetched and only text/html is rewritten', async () => {
  // The basics case with a hostile title.
  const dir = tempDir();
  cpSync(caseDir('basics'), join(dir, 'case'), { recursive: true });
  const csv = join(dir, 'case/items.csv');
  writeFileSync(csv, readFileSync(csv, 'utf8').replace('i01,Road Runner,', `i01,"Road <b>Runner</b> & ""Co's""",`));
  const { execFileSync } = await import('node:child_process');
  const { cli } = await import('./helpers.mjs');
  execFileSync(cli, ['build', '--config', join(dir, 'case/tailor.json'), '--out', join(dir, 'x.tsnap')], { stdio: 'pipe' });
  const seen = [];
  const mf = new Miniflare({
    ...(await import('./helpers.mjs')).workerOptions({ TAILOR_DEFAULT_TENANT: TENANT, TAILOR_SITE: 'us', TAILOR_ORIGIN: 'https://origin.internal/' }),
    outboundService: (req) => {
      seen.push(new URL(req.url).pathname + new URL(req.url).search);
      if (req.url.endsWith('.css')) return new Response('ul{}', { headers: { 'content-type': 'text/css' } });
      return new Response('<ul data-tailor-slot="home"></ul><ul data-tailor-slot="running"></ul>', { headers: { 'content-type': 'text/html' } });
    },
  });
  try {
    await publishSnapshot(await mf.getKVNamespace('TAILOR_KV'), TENANT, new Uint8Array(readFileSync(join(dir, 'x.tsnap'))), { version: 'x' });
    const html = await (await mf.dispatchFetch('https://shop.example.test/p?q=1')).text();
    assert.deepEqual(seen, ['/p?q=1']);
    const slots = slotsOf(html);
    assert.deepEqual(slots.map((s) => s.slot), ['home', 'running']);
    const i01 = slots[1].items.find((i) => i.id === 'i01');
    assert.ok(i01, html);
    assert.equal(i01.inner, '<span class="tailor-title">Road &#60;b&#62;Runner&#60;/b&#62; &#38; &#34;Co&#39;s&#34;</span> <span class="tailor-price">120.00</span>');
    const css = await mf.dispatchFetch('https://shop.example.test/site.css');
    assert.equal(await css.text(), 'ul{}');
  } finally {
    await mf.dispose();
  }
});
