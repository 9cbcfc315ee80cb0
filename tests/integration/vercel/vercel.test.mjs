// edge-adapters/vercel/middleware.js in Vercel's open-source Edge runtime (npm `edge-runtime`,
// the runtime `vercel dev` and Next.js use for middleware), unbundled:
//  - an EdgeRuntime context (web primitives only, no Node globals; `process.env` injected with
//    `extend`, as Vercel's Edge runtime provides it);
//  - tailor.wasm compiled inside that context and handed to the middleware as the default export
//    of `./tailor.wasm?module` (what Vercel's bundler does at deploy time);
//  - middleware.js, edge-adapters/deno/handler.js and js/src/*.js linked as ES modules in that
//    context (node:vm SourceTextModule: run node with --experimental-vm-modules);
//  - the default export registered as the fetch listener and driven with runtime.dispatchFetch;
//    snapshots and profiles are fetched by the runtime's fetch from a loopback HTTP origin.
// Checks: every conformance vector of tests/conformance/basics byte for byte (default-now is
// left out: the handler fills `now` with the clock), error vectors as 400 with the vector's
// code, the tailor_vid cookie, one snapshot fetch for many requests, 503 without a snapshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { buildCaseProfiles } from '../../conformance/profiles.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const cli = resolve(process.env.TAILOR_CLI ?? join(repo, 'build/native/bin/tailor'));
const wasmPath = resolve(process.env.TAILOR_WASM ?? join(repo, 'build/wasi/bin/tailor.wasm'));
const middlewarePath = join(repo, 'edge-adapters/vercel/middleware.js');
const caseDir = join(repo, 'tests/conformance/basics');

function loadEdgeRuntime() {
  try {
    return createRequire(join(repo, 'package.json'))('edge-runtime');
  } catch (e) {
    assert.fail(`npm package edge-runtime not found (${e.code ?? e.message}): run npm ci (edge-runtime is a devDependency of the workspace)`);
  }
}

// Links `entry` and its relative imports as ES modules inside `context`; `virtual` maps a
// specifier (e.g. './tailor.wasm?module') to the default export of a synthetic module.
async function importInContext(entry, context, virtual) {
  const cache = new Map();
  const load = (url) => {
    if (cache.has(url)) return cache.get(url);
    const m = new vm.SourceTextModule(readFileSync(fileURLToPath(url), 'utf8'), {
      identifier: url, context,
      initializeImportMeta: (meta) => { meta.url = url; },
    });
    cache.set(url, m);
    return m;
  };
  const root = load(pathToFileURL(entry).href);
  await root.link((specifier, referencing) => {
    if (Object.hasOwn(virtual, specifier))
      return new vm.SyntheticModule(['default'], function () { this.setExport('default', virtual[specifier]); },
        { identifier: specifier, context });
    if (!specifier.startsWith('.')) throw new Error(`bare import ${specifier} from ${referencing.identifier}: not allowed in the edge bundle`);
    return load(new URL(specifier, referencing.identifier).href);
  });
  await root.evaluate();
  return root.namespace;
}

// A loopback origin: GET /snap/<file> and /profiles/<tenant>/<hash>.tprof from `dir`; counts GETs.
async function startOrigin(dir) {
  const hits = new Map();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const file = join(dir, path);
    if (path.includes('..') || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${server.address().port}`, hits, close: () => new Promise((r) => server.close(r)) };
}

async function startMiddleware(EdgeRuntime, env) {
  const runtime = new EdgeRuntime({
    extend: (context) => Object.assign(context, { process: { env } }),
  });
  runtime.context.__tailorWasmBytes = new Uint8Array(readFileSync(wasmPath));
  const module = await runtime.evaluate('WebAssembly.compile(__tailorWasmBytes)');
  delete runtime.context.__tailorWasmBytes;
  assert.equal(runtime.evaluate('(m) => m instanceof WebAssembly.Module')(module), true);
  const ns = await importInContext(middlewarePath, runtime.context, { './tailor.wasm?module': module });
  assert.equal(JSON.stringify(ns.config), JSON.stringify({ matcher: ['/v1/decide'] }));
  assert.equal(typeof ns.default, 'function');
  runtime.context.__middleware = ns.default;
  // What Vercel's wrapper does: the request goes to the default export with a waitUntil context.
  runtime.evaluate(`addEventListener('fetch', (event) =>
    event.respondWith(__middleware(event.request, { waitUntil: (p) => event.waitUntil(p) })))`);
  return runtime;
}

async function decide(runtime, body, headers = {}) {
  const response = await runtime.dispatchFetch('https://tailor.example/v1/decide', {
    method: 'POST', body, headers: { 'content-type': 'application/json', ...headers },
  });
  await response.waitUntil();
  return { status: response.status, headers: response.headers, text: await response.text() };
}

test('vercel-edge-runtime: middleware', async (t) => {
  const { EdgeRuntime } = loadEdgeRuntime();
  assert.equal(typeof vm.SourceTextModule, 'function', 'run node with --experimental-vm-modules (the ctest entry does)');
  assert.ok(existsSync(cli), `tailor CLI not found at ${cli}: cmake --preset native && cmake --build --preset native`);
  assert.ok(existsSync(wasmPath), `tailor.wasm not found at ${wasmPath}: scripts/build wasi`);

  const work = mkdtempSync(join(tmpdir(), 'tailor-vercel-'));
  let origin;
  try {
    const tenant = JSON.parse(readFileSync(join(caseDir, 'tailor.json'), 'utf8')).tenant.id;
    mkdirSync(join(work, 'snap'));
    const snapshot = join(work, 'snap', `${tenant}.tsnap`);
    execFileSync(cli, ['build', '--config', join(caseDir, 'tailor.json'), '--out', snapshot], { stdio: 'pipe' });
    const profiles = join(work, 'profiles', tenant);
    mkdirSync(profiles, { recursive: true });
    assert.ok(buildCaseProfiles(cli, caseDir, snapshot, profiles), 'the case has no events');
    assert.ok(readdirSync(profiles).length > 0, 'tailor profiles wrote no profile');
    origin = await startOrigin(work);

    const runtime = await startMiddleware(EdgeRuntime, {
      TAILOR_TENANT: tenant, TAILOR_SNAPSHOT_URL: `${origin.base}/snap`, TAILOR_PROFILE_URL: `${origin.base}/profiles/`,
    });

    const dir = join(caseDir, 'vectors');
    const names = readdirSync(dir).filter((f) => f.endsWith('.request.json')).map((f) => f.replace(/\.request\.json$/, '')).sort();
    let compared = 0;
    await t.test('conformance vectors (basics) byte for byte', async () => {
      for (const name of names) {
        if (name === 'default-now') continue;           // the handler sets `now` to the clock
        const request = readFileSync(join(dir, `${name}.request.json`), 'utf8');
        const errorFile = join(dir, `${name}.error`);
        let userId = null;
        try { userId = JSON.parse(request)?.user?.id ?? null; } catch {}
        const r = await decide(runtime, request, userId ? { cookie: `tailor_vid=${userId}` } : {});
        if (existsSync(errorFile)) {
          const code = readFileSync(errorFile, 'utf8').trim();
          assert.equal(r.status, 400, `${name}: status (${r.text})`);
          assert.equal(JSON.parse(r.text).error.code, code, `${name}: error code`);
        } else {
          const expected = readFileSync(join(dir, `${name}.expected.json`), 'utf8').replace(/\n$/, '');
          assert.equal(r.status, 200, `${name}: status (${r.text})`);
          assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
          assert.equal(r.text, expected, `${name}: decision bytes`);
        }
        compared++;
      }
      assert.ok(compared >= 20, `only ${compared} vectors ran`);
      const profileHits = [...origin.hits.keys()].filter((p) => p.startsWith('/profiles/') && existsSync(join(work, p)));
      assert.ok(profileHits.length > 0, 'no vector was decided with a profile fetched from the origin');
    });

    await t.test('tailor_vid cookie: set when absent or malformed, kept when valid', async () => {
      const body = JSON.stringify({ site: 'us', slots: ['home'] });
      const first = await decide(runtime, body);
      assert.equal(first.status, 200, first.text);
      const setCookie = first.headers.get('set-cookie');
      assert.match(setCookie, /^tailor_vid=[0-9a-f-]{36}; Path=\/; Max-Age=31536000; HttpOnly; Secure; SameSite=Lax$/);
      const vid = setCookie.split(';')[0].split('=')[1];
      const again = await decide(runtime, body, { cookie: `other=1; tailor_vid=${vid}` });
      assert.equal(again.status, 200);
      assert.equal(again.headers.get('set-cookie'), null);
      const bad = await decide(runtime, body, { cookie: 'tailor_vid=<script>' });
      assert.match(bad.headers.get('set-cookie') ?? '', /^tailor_vid=[0-9a-f-]{36};/);
    });

    await t.test('400 with an error body', async () => {
      const r = await decide(runtime, '{"slots":');
      assert.equal(r.status, 400);
      assert.equal(JSON.parse(r.text).error.code, 'parse_error');
      assert.match(r.headers.get('set-cookie') ?? '', /^tailor_vid=/);
      const unknown = await decide(runtime, JSON.stringify({ site: 'us', slots: ['nope'] }));
      assert.equal(unknown.status, 400);
      assert.equal(JSON.parse(unknown.text).error.code, 'unknown_slot');
    });

    await t.test('the snapshot is fetched once for all requests (within the TTL)', () => {
      assert.equal(origin.hits.get(`/snap/${tenant}.tsnap`), 1);
    });

    await t.test('503 no_snapshot when the origin has none', async () => {
      const empty = await startMiddleware(EdgeRuntime, { TAILOR_TENANT: 'nobody', TAILOR_SNAPSHOT_URL: `${origin.base}/snap` });
      const r = await decide(empty, JSON.stringify({ slots: ['home'] }));
      assert.equal(r.status, 503);
      assert.equal(JSON.parse(r.text).error.code, 'no_snapshot');
    });
  } finally {
    await origin?.close();
    rmSync(work, { recursive: true, force: true });
  }
});
