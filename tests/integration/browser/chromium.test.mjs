// Chromium integration test (node:test + playwright-core, headless Debian chromium).
//
//   node --test tests/integration/browser/chromium.test.mjs
//   env: TAILOR_CLI (build/native/bin/tailor), TAILOR_WASM (build/wasi/bin/tailor.wasm),
//        TAILOR_WEB_DIR (build/web: tailor.mjs + tailor.wasm), CHROMIUM (/usr/bin/chromium)
//
// A static server on 127.0.0.1 serves the built artifacts, js/src, edge-adapters/browser, this
// folder's page and the snapshots/profiles built beforehand by the native CLI; in the page:
//  (a) every tests/conformance/*/vectors/* request decided by the Emscripten build must give the
//      exact expected bytes (or the expected error code);
//  (b) the same with tailor.wasm through @tailor/engine's browser entry, loadEngine({ wasmUrl });
//  (c) edge-adapters/browser/tailor-client.js re-ranks after track() (a viewed item leaves the next
//      decision) and keeps its session and profile in localStorage across a reload;
//  (d) the Emscripten host also decides in a module Worker (what the README recommends for big
//      catalogs);
//  (e) the client with publicKeys verifies Ed25519 signatures (WebCrypto) of a `tailor publish
//      --to dir:` tree and of a single file, and refuses unsigned, under-signed, unknown-signer
//      and tampered snapshots with their codes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCaseProfiles } from '../../conformance/profiles.mjs';

const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const cli = resolve(process.env.TAILOR_CLI ?? join(repo, 'build/native/bin/tailor'));
const wasiWasm = resolve(process.env.TAILOR_WASM ?? join(repo, 'build/wasi/bin/tailor.wasm'));
const webDir = resolve(process.env.TAILOR_WEB_DIR ?? join(repo, 'build/web'));
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const WAIT = 60_000; // bound on any single browser step

for (const [what, p, how] of [
  ['tailor CLI', cli, 'scripts/build native'],
  ['tailor.wasm (WASI)', wasiWasm, 'scripts/build wasi'],
  ['Emscripten tailor.mjs', join(webDir, 'tailor.mjs'), 'scripts/build web'],
  ['Emscripten tailor.wasm', join(webDir, 'tailor.wasm'), 'scripts/build web'],
  ['Chromium', chromiumPath, 'apt-get install chromium (or set CHROMIUM=/path/to/chromium)'],
]) {
  if (!existsSync(p)) throw new Error(`${what} not found at ${p}: ${how}`);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  throw new Error(`playwright-core is not installed (${err.message}): run \`npm ci\` in ${repo}`);
}

// ---- fixtures: snapshots and profiles of every conformance case, built by the native CLI ----
const work = mkdtempSync(join(tmpdir(), 'tailor-browser-'));
const confDir = join(repo, 'tests/conformance');
const cases = readdirSync(confDir).sort()
  .filter((n) => existsSync(join(confDir, n, 'tailor.json')))
  .map((name) => {
    const dir = join(confDir, name);
    const config = JSON.parse(readFileSync(join(dir, 'tailor.json'), 'utf8'));
    const out = join(work, name);
    const snapshot = join(out, 'snapshot.tsnap');
    execFileSync(cli, ['build', '--config', join(dir, 'tailor.json'), '--out', snapshot], { stdio: 'pipe' });
    buildCaseProfiles(cli, dir, snapshot, join(out, 'profiles'));
    const profileUrlFor = (request) => {
      let id;
      try { id = JSON.parse(request)?.user?.id; } catch { return null; }
      if (typeof id !== 'string' || !id) return null;
      const hash = createHash('sha256').update(`${config.tenant.id}:${id}`).digest('hex').slice(0, 32);
      return existsSync(join(out, 'profiles', `${hash}.tprof`)) ? `/data/${name}/profiles/${hash}.tprof` : null;
    };
    const vdir = join(dir, 'vectors');
    const vectors = readdirSync(vdir).filter((f) => f.endsWith('.request.json')).sort().map((f) => {
      const vname = f.replace(/\.request\.json$/, '');
      const request = readFileSync(join(vdir, f), 'utf8');
      const errorPath = join(vdir, `${vname}.error`);
      const expectedPath = join(vdir, `${vname}.expected.json`);
      return {
        name: vname, request, profileUrl: profileUrlFor(request),
        error: existsSync(errorPath) ? readFileSync(errorPath, 'utf8').trim() : undefined,
        expected: existsSync(expectedPath) ? readFileSync(expectedPath, 'utf8').replace(/\n$/, '') : undefined,
      };
    });
    return { name, tenant: config.tenant.id, snapshotUrl: `/data/${name}/snapshot.tsnap`, vectors, profileUrlFor };
  });
assert.ok(cases.length > 0, `no conformance cases under ${confDir}`);

// ---- static server: URL prefix -> directory (or single file) ----
const routes = [
  ['/web/', webDir], ['/tailor/', webDir],
  ['/edge-adapters/browser/', join(repo, 'edge-adapters/browser')],
  ['/js/src/', join(repo, 'js/src')],
  ['/test/', join(repo, 'tests/integration/browser')],
  ['/data/', work],
];
const files = { '/wasi/tailor.wasm': wasiWasm };
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.html': 'text/html; charset=utf-8', '.json': 'application/json' };

function resolveUrl(pathname) {
  if (files[pathname]) return files[pathname];
  for (const [prefix, dir] of routes) {
    if (!pathname.startsWith(prefix)) continue;
    const p = normalize(join(dir, decodeURIComponent(pathname.slice(prefix.length))));
    if (p !== dir && !p.startsWith(dir + sep)) return null; // no escaping the root
    return p;
  }
  return null;
}

const served = [];
const missing = [];
const server = createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://x');
  const p = resolveUrl(pathname);
  served.push(pathname);
  if (!p || !existsSync(p)) missing.push(pathname);
  if (!p || !existsSync(p) || !statSync(p).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  const body = readFileSync(p);
  res.writeHead(200, { 'content-type': TYPES[extname(p)] ?? 'application/octet-stream',
    'content-length': body.length, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
});

let browser;
let page;
let origin;
const pageErrors = [];

const within = (promise, what, ms = WAIT) => {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  })]).finally(() => clearTimeout(timer));
};

before(async () => {
  await within(new Promise((ok, ko) => { server.once('error', ko); server.listen(0, '127.0.0.1', ok); }), 'server listen');
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await within(chromium.launch({
    executablePath: chromiumPath, headless: true, timeout: WAIT,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  }), 'chromium launch');
  const context = await browser.newContext();
  page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`); });
  await page.goto(`${origin}/test/index.html`, { timeout: WAIT });
}, { timeout: 2 * WAIT });

after(async () => {
  await browser?.close().catch(() => {});
  await new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); });
  rmSync(work, { recursive: true, force: true });
});

const payload = () => cases.map(({ name, snapshotUrl, vectors }) => ({
  name, snapshotUrl, vectors: vectors.map(({ name: n, request, profileUrl }) => ({ name: n, request, profileUrl })),
}));

function checkVectors(t, runtime, results) {
  for (const c of cases) {
    for (const v of c.vectors) {
      const got = results[c.name]?.[v.name];
      assert.ok(got, `${c.name}/${v.name} [${runtime}]: no result from the page`);
      if (v.error !== undefined) {
        assert.equal(got.error, v.error, `${c.name}/${v.name} [${runtime}]: expected error code (got output ${got.out?.slice(0, 200)})`);
      } else {
        assert.ok(v.expected !== undefined, `${c.name}/${v.name}: no expected file`);
        assert.equal(got.error, undefined, `${c.name}/${v.name} [${runtime}]: unexpected error ${got.error}: ${got.message}`);
        assert.equal(got.out, v.expected, `${c.name}/${v.name} [${runtime}]: bytes differ`);
      }
    }
  }
}

const nVectors = () => cases.reduce((n, c) => n + c.vectors.length, 0);

test('(a) Emscripten build decides every conformance vector byte-identically', { timeout: 2 * WAIT }, async (t) => {
  const results = await within(page.evaluate(async (cs) => {
    const { loadEmscriptenEngine } = await import('/edge-adapters/browser/emscripten_host.js');
    const engine = await loadEmscriptenEngine({ moduleUrl: '/web/tailor.mjs' });
    const bytes = async (url) => {
      const r = await fetch(url);
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    };
    const out = {};
    let decideMs = 0;
    let decides = 0;
    for (const c of cs) {
      engine.loadSnapshot(await bytes(c.snapshotUrl));
      out[c.name] = {};
      for (const v of c.vectors) {
        const profile = v.profileUrl ? await bytes(v.profileUrl) : undefined;
        try {
          const t0 = performance.now();
          out[c.name][v.name] = { out: engine.decideRaw(v.request, profile) };
          decideMs += performance.now() - t0;
          decides++;
        } catch (e) {
          if (e.code === undefined) throw e;
          out[c.name][v.name] = { error: e.code, message: e.message };
        }
      }
    }
    out.__memory = engine.memoryBytes;
    out.__decideMs = decideMs / Math.max(1, decides);
    // The same engine through the exported WebAssembly.Memory only, as with a newer Emscripten
    // that does not put HEAPU8 on the module unless EXPORTED_RUNTIME_METHODS asks for it.
    const { createEmscriptenEngine } = await import('/edge-adapters/browser/emscripten_host.js');
    const M = engine.Module;
    const bare = { asm: M.asm ?? M.wasmExports };
    for (const k of Object.keys(M)) if (k.startsWith('_tailor_')) bare[k] = M[k];
    const viaMemory = createEmscriptenEngine(bare);
    const last = cs.at(-1);
    viaMemory.loadSnapshot(await bytes(last.snapshotUrl));
    const v0 = last.vectors.find((v) => !out[last.name][v.name].error);
    out.__viaMemory = { caseName: last.name, name: v0.name,
      out: viaMemory.decideRaw(v0.request, v0.profileUrl ? await bytes(v0.profileUrl) : undefined) };
    viaMemory.dispose();
    engine.dispose();
    return out;
  }, payload()), 'emscripten vectors');
  assert.ok(results.__memory > 0);
  const { __viaMemory: vm, __memory: mem, __decideMs: ms, ...byCase } = results;
  checkVectors(t, 'emscripten', byCase);
  assert.equal(vm.out, cases.find((c) => c.name === vm.caseName).vectors.find((v) => v.name === vm.name).expected,
    'host without HEAPU8 (exported memory only) gives the same bytes');
  t.diagnostic(`${nVectors()} vectors in ${cases.length} cases; linear memory ${mem} bytes; mean decide ${ms.toFixed(3)} ms`);
});

test('(b) tailor.wasm through @tailor/engine loadEngine({ wasmUrl }) decides every vector byte-identically', { timeout: 2 * WAIT }, async (t) => {
  const results = await within(page.evaluate(async (cs) => {
    const { loadEngine, TailorError } = await import('/js/src/browser.js');
    const engine = await loadEngine({ wasmUrl: '/wasi/tailor.wasm' });
    const bytes = async (url) => {
      const r = await fetch(url);
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    };
    const out = {};
    for (const c of cs) {
      await engine.loadSnapshot(await bytes(c.snapshotUrl));
      out[c.name] = {};
      for (const v of c.vectors) {
        const profile = v.profileUrl ? await bytes(v.profileUrl) : undefined;
        try {
          out[c.name][v.name] = { out: engine.decideRaw(v.request, profile ? { profile } : {}) };
        } catch (e) {
          if (!(e instanceof TailorError)) throw e;
          out[c.name][v.name] = { error: e.code, message: e.message };
        }
      }
    }
    engine.dispose();
    return out;
  }, payload()), 'wasi vectors');
  checkVectors(t, 'wasi', results);
  assert.ok(served.includes('/wasi/tailor.wasm'), 'the page fetched /wasi/tailor.wasm');
});

test('(c) client re-ranks after track() and keeps its state in localStorage across a reload', { timeout: 3 * WAIT }, async () => {
  const basics = cases.find((c) => c.name === 'basics');
  assert.ok(basics, 'conformance case "basics" is needed for the client test');
  const profileUrl = basics.profileUrlFor('{"user":{"id":"fan"}}');
  assert.ok(profileUrl, 'basics has a profile for user "fan"');
  const request = { site: 'us', now: 1764000000, user: { id: 'fan' }, slots: ['home', 'for-you'] };
  const ids = (d, slot) => d.slots.find((s) => s.id === slot).items.map((i) => i.id);

  const first = await within(page.evaluate(async ({ snapshotUrl, profileUrl, request }) => {
    localStorage.clear();
    const { createTailorClient } = await import('/edge-adapters/browser/tailor-client.js');
    const client = await createTailorClient({ snapshotUrl, profileUrl }); // moduleUrl: default /tailor/tailor.mjs
    const seen = [];
    client.onDecision((d) => seen.push(d));
    const d1 = client.decide(request);
    const viewedItem = d1.slots.find((s) => s.id === 'home').items[0].id;
    const d2 = client.track({ type: 'view', item: viewedItem });
    const keys = Object.keys(localStorage).sort();
    return { d1, d2, viewedItem, listenerCalls: seen.length, listenerLast: seen.at(-1) === d2, keys,
      session: JSON.parse(localStorage.getItem('tailor:session')) };
  }, { snapshotUrl: basics.snapshotUrl, profileUrl, request }), 'client: decide and track');

  const { d1, d2, viewedItem } = first;
  assert.equal(d1.personalized, true, 'the profile was used');
  assert.ok(ids(d1, 'home').includes(viewedItem));
  assert.ok(!ids(d2, 'home').includes(viewedItem), `viewed ${viewedItem} is gone from home after track()`);
  assert.ok(!ids(d2, 'for-you').includes(viewedItem), `viewed ${viewedItem} is gone from for-you after track()`);
  assert.equal(ids(d2, 'home').length, ids(d1, 'home').length, 'the slot is refilled');
  assert.equal(first.listenerCalls, 2, 'onDecision listeners got decide() and the re-decision of track()');
  assert.ok(first.listenerLast, 'track() returns the decision the listeners got');
  assert.deepEqual(first.keys, ['tailor:profile', 'tailor:request', 'tailor:session']);
  assert.deepEqual(first.session.events.map((e) => [e.type, e.item]), [['view', viewedItem]]);

  await page.reload({ timeout: WAIT });

  const second = await within(page.evaluate(async ({ snapshotUrl }) => {
    const { createTailorClient } = await import('/edge-adapters/browser/tailor-client.js');
    // No profileUrl this time: the profile must come from localStorage.
    const client = await createTailorClient({ snapshotUrl });
    const viewedBefore = client.viewed;
    const hasProfile = client.profile !== null;
    const home = client.track({ type: 'view', item: 'i08' }); // re-decides the stored last request
    const again = client.decide(JSON.parse(localStorage.getItem('tailor:request')));
    return { viewedBefore, hasProfile, home, again, viewedAfter: client.viewed };
  }, { snapshotUrl: basics.snapshotUrl }), 'client: after reload');

  assert.deepEqual(second.viewedBefore, [viewedItem], 'the session survived the reload');
  assert.ok(second.hasProfile, 'the profile bytes survived the reload');
  assert.ok(second.home, 'track() after a reload re-decides the stored request');
  assert.equal(second.home.personalized, true, 'stored profile used after reload');
  assert.deepEqual(second.viewedAfter, [viewedItem, 'i08']);
  for (const d of [second.home, second.again]) {
    for (const slot of ['home', 'for-you']) {
      assert.ok(!ids(d, slot).includes(viewedItem), `${viewedItem} still excluded from ${slot} after reload`);
      assert.ok(!ids(d, slot).includes('i08'), `i08 excluded from ${slot}`);
    }
  }
  assert.deepEqual(pageErrors, [], `no page errors (404s: ${missing.join(', ')})`);
});

test('(d) the Emscripten host decides in a module Worker', { timeout: 2 * WAIT }, async () => {
  const c = cases.find((k) => k.vectors.some((v) => v.expected !== undefined && !v.profileUrl));
  const v = c.vectors.find((x) => x.expected !== undefined && !x.profileUrl);
  const got = await within(page.evaluate(({ snapshotUrl, request }) => new Promise((resolve) => {
    const w = new Worker('/test/worker.js', { type: 'module' });
    w.onmessage = ({ data }) => { w.terminate(); resolve(data); };
    w.onerror = (e) => { w.terminate(); resolve({ error: 'worker_error', message: e.message }); };
    w.postMessage({ moduleUrl: '/web/tailor.mjs', snapshotUrl, request });
  }), { snapshotUrl: c.snapshotUrl, request: v.request }), 'worker decide');
  assert.equal(got.error, undefined, `worker failed: ${got.message}`);
  assert.equal(got.out, v.expected, `${c.name}/${v.name} in a Worker`);
});

test('(e) the client verifies Ed25519 signatures with WebCrypto and refuses unsigned, under-signed and tampered snapshots', { timeout: 3 * WAIT }, async () => {
  const basics = cases.find((c) => c.name === 'basics');
  const snap = join(work, 'basics', 'snapshot.tsnap');
  const keys = join(work, 'keys');
  const hex = {};
  for (const name of ['alice', 'bob', 'mallory']) {
    execFileSync(cli, ['keygen', '--out', join(keys, name)], { stdio: 'pipe' });
    hex[name] = readFileSync(join(keys, `${name}.pub`), 'utf8').trim();
  }
  const b64 = (h) => Buffer.from(h, 'hex').toString('base64');
  // Published trees: unsigned, then signed by alice (the envelope goes into the manifest).
  execFileSync(cli, ['publish', snap, '--to', `dir:${join(work, 'pub-unsigned')}`], { stdio: 'pipe' });
  execFileSync(cli, ['sign', snap, '--key', join(keys, 'alice.key')], { stdio: 'pipe' });
  execFileSync(cli, ['publish', snap, '--to', `dir:${join(work, 'pub-signed')}`], { stdio: 'pipe' });
  // A single file with its envelope, and a tampered copy beside the same envelope.
  const bytes = readFileSync(snap);
  const at = bytes.indexOf(Buffer.from('Road Runner'));
  assert.ok(at > 0, 'basics has an item titled Road Runner');
  const tampered = Buffer.from(bytes);
  tampered[at] = 'T'.charCodeAt(0); // still a valid snapshot, no longer the signed bytes
  writeFileSync(join(work, 'basics', 'tampered.tsnap'), tampered);
  writeFileSync(join(work, 'basics', 'tampered.tsnap.sig.json'), readFileSync(`${snap}.sig.json`));

  const tenant = basics.tenant;
  const got = await within(page.evaluate(async ({ tenant, hex, b64keys, snapshotUrl }) => {
    const { createTailorClient } = await import('/edge-adapters/browser/tailor-client.js');
    const { fetchPublishedSnapshot } = await import('/edge-adapters/browser/published.js');
    const manifest = (tree) => `/data/${tree}/${tenant}/manifest.json`;
    const attempt = async (options) => {
      try {
        const client = await createTailorClient({ storageKey: 'tailor-signed', ...options });
        const d = client.decide({ site: 'us', now: 1764000000, slots: ['home'] });
        return { ok: true, version: d.snapshot.version, items: d.slots[0].items.length };
      } catch (e) {
        return { ok: false, code: e.code, message: e.message };
      }
    };
    return {
      webcryptoEd25519: await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']).then(() => true, () => false),
      signers: (await fetchPublishedSnapshot(manifest('pub-signed'), { publicKeys: hex.alice })).signers,
      signed: await attempt({ manifestUrl: manifest('pub-signed'), publicKeys: hex.alice }),
      signedBase64: await attempt({ manifestUrl: manifest('pub-signed'), publicKeys: [b64keys.alice] }),
      noKeys: await attempt({ manifestUrl: manifest('pub-unsigned') }),
      unsigned: await attempt({ manifestUrl: manifest('pub-unsigned'), publicKeys: hex.alice }),
      underSigned: await attempt({ manifestUrl: manifest('pub-signed'), publicKeys: `${hex.alice},${hex.bob}`, requiredSignatures: 2 }),
      unknownSigner: await attempt({ manifestUrl: manifest('pub-signed'), publicKeys: hex.mallory }),
      badKey: await attempt({ manifestUrl: manifest('pub-signed'), publicKeys: 'abc' }),
      file: await attempt({ snapshotUrl, publicKeys: hex.alice }),
      fileTampered: await attempt({ snapshotUrl: snapshotUrl.replace('snapshot.tsnap', 'tampered.tsnap'), publicKeys: hex.alice }),
    };
  }, { tenant, hex, b64keys: { alice: b64(hex.alice) }, snapshotUrl: basics.snapshotUrl }), 'client: signatures');

  assert.equal(got.webcryptoEd25519, true, 'this Chromium has WebCrypto Ed25519');
  const aliceId = createHash('sha256').update(Buffer.from(hex.alice, 'hex')).digest('hex').slice(0, 16);
  assert.deepEqual(got.signers, [aliceId]);
  for (const k of ['signed', 'signedBase64', 'noKeys', 'file']) {
    assert.equal(got[k].ok, true, `${k}: ${got[k].message}`);
    assert.equal(got[k].items, 5, k);
  }
  const refused = (k, code, re) => {
    assert.equal(got[k].ok, false, `${k} was accepted`);
    assert.equal(got[k].code, code, `${k}: ${got[k].message}`);
    assert.match(got[k].message, re, k);
  };
  refused('unsigned', 'signature_missing', /^refusing snapshot v1: .*no signature envelope/);
  refused('underSigned', 'signature_insufficient', /^refusing snapshot v1: 1 valid signature\(s\) from trusted keys, 2 required/);
  refused('unknownSigner', 'signature_invalid', /^refusing snapshot v1: no signature in the envelope verifies/);
  refused('badKey', 'invalid_argument', /^publicKeys: key 1 \('abc'\) is neither 64 hex/);
  refused('fileTampered', 'digest_mismatch', /^refusing snapshot .*tampered\.tsnap: snapshot sha256 [0-9a-f]{64} does not match the signed digest/);
});
