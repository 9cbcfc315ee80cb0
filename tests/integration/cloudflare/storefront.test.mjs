// The demo storefront served by the Worker in real workerd, driven in headless Chromium: picking a
// visitor changes the page for the reasons the explanation states, and a screenshot is taken.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Miniflare, cli, repo, tempDir, wasmPath } from './helpers.mjs';

const { workerOptions } = await import(join(repo, 'edge-adapters/cloudflare/local.mjs'));
const { publish } = await import(join(repo, 'edge-adapters/cloudflare/publish.mjs'));
let chromium;
try {
  const pw = await import(createRequire(join(repo, 'package.json')).resolve('playwright-core'));
  chromium = pw.chromium ?? pw.default.chromium;
} catch (e) {
  throw new Error(`playwright-core is not installed: run npm ci (${e.message})`);
}
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const shots = join(repo, 'build/screenshots');
let mf, url, browser, tmp;

before(async () => {
  tmp = tempDir();
  execFileSync('node', [join(repo, 'examples/retail-b2c/generate.mjs'), tmp], { stdio: 'pipe' });
  execFileSync(cli, ['build', '--config', join(tmp, 'tailor.json'), '--out', join(tmp, 's.tsnap')], { stdio: 'pipe' });
  execFileSync(cli, ['profiles', '--snapshot', join(tmp, 's.tsnap'), '--events', join(tmp, 'events.ndjson'),
    '--out', join(tmp, 'profiles')], { stdio: 'pipe' });
  const config = JSON.parse(readFileSync(join(tmp, 'tailor.json'), 'utf8'));
  mf = new Miniflare(workerOptions({ wasmPath, port: 0,
    bindings: { TAILOR_DEFAULT_TENANT: config.tenant.id, TAILOR_SITE: 'us', TAILOR_DEMO: '1' } }));
  url = await mf.ready;
  const kv = await mf.getKVNamespace('TAILOR_KV');
  const profiles = new Map(readdirSync(join(tmp, 'profiles')).filter((f) => f.endsWith('.tprof'))
    .map((f) => [f.replace(/\.tprof$/, ''), new Uint8Array(readFileSync(join(tmp, 'profiles', f)))]));
  await publish(kv, config.tenant.id, { bytes: new Uint8Array(readFileSync(join(tmp, 's.tsnap'))), version: config.version, profiles });
  await kv.put('page:/', readFileSync(join(repo, 'edge-adapters/cloudflare/demo/storefront.html'), 'utf8'));
  try {
    statSync(CHROMIUM);
  } catch {
    throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, timeout: 30000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
});

after(async () => {
  await browser?.close();
  await mf?.dispose();
});

async function visit(id, consent) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const base = url.href.replace('localhost', '127.0.0.1');
  await page.goto(new URL(`/demo/visitor?id=${id}&consent=${consent}`, base).href, { timeout: 15000 });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  const meta = await page.locator('#meta-home-for-you').textContent();
  const items = await page.locator('#home-for-you li').evaluateAll((lis) => lis.map((li) => ({
    id: li.dataset.tailorItem, text: li.textContent })));
  mkdirSync(shots, { recursive: true });
  const png = await page.screenshot({ path: join(shots, `storefront-${id}.png`) });
  await page.close();
  assert.deepEqual(errors, []);
  return { meta, items, png };
}

test('the storefront shows personalized picks with score bars for a consenting visitor', async () => {
  const tess = await visit('trail-runner-tess', 'personalization');
  assert.match(tess.meta, /^personalized/);
  assert.equal(tess.items.length, 8);
  assert.match(tess.items[0].text, /pinned at #1 by pin-featured-jacket/);
  // Her history is trail running: the explanation of the first ranked item says so.
  assert.match(tess.items[1].text, /category_affinity/);
  assert.match(tess.items[1].text, /trail-running-shoes/);
  assert.equal(tess.png.subarray(1, 4).toString(), 'PNG');
  assert.ok(tess.png.length > 20000, 'screenshot has content');
});

test('a visitor without consent gets the non-personal page, and it says why', async () => {
  const ana = await visit('anonymous-ana', '');
  const tess = await visit('trail-runner-tess', 'personalization');
  assert.match(ana.meta, /^not personalized/);
  assert.match(ana.meta, /off without consent: category_affinity, brand_affinity, tag_affinity, embedding/);
  assert.doesNotMatch(ana.items.map((i) => i.text).join(' '), /category_affinity/);
  assert.notDeepEqual(ana.items.map((i) => i.id), tess.items.map((i) => i.id));
});
