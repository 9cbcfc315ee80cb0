// The package as consumers see it: which entry each runtime resolves, no Node built-ins outside
// the node entry, no runtime dependencies, and the two loadEngine helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadEngine as loadBrowser } from '../../js/src/browser.js';
import { loadEngine as loadNode } from '../../js/src/node.js';
import { TailorError } from '../../js/src/index.js';
import { basicsRequest, repo, tempDir, wasmBytes, wasmPath } from './helpers.mjs';

const pkgDir = join(repo, 'js');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const isCode = (code) => (e) => e instanceof TailorError && e.code === code;

// A consumer project with the package installed (as a link) in node_modules.
const consumer = tempDir();
mkdirSync(join(consumer, 'node_modules/@tailor'), { recursive: true });
symlinkSync(pkgDir, join(consumer, 'node_modules/@tailor/engine'), 'dir');

function resolvedEntry(conditions) {
  const r = spawnSync(process.execPath, [...conditions.map((c) => `--conditions=${c}`), '--input-type=module', '-e',
    "console.log(import.meta.resolve('@tailor/engine'))"], { cwd: consumer, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().replace(/^.*\/js\//, '');
}

test('each runtime condition resolves its entry', () => {
  assert.equal(resolvedEntry([]), 'src/node.js');
  assert.equal(resolvedEntry(['workerd', 'worker', 'browser']), 'src/index.js'); // what wrangler sets
  assert.equal(resolvedEntry(['deno']), 'src/index.js'); // Deno also matches `node`
  assert.equal(resolvedEntry(['browser']), 'src/browser.js');
  assert.equal(resolvedEntry(['edge-light', 'worker', 'browser']), 'src/browser.js'); // Vercel Edge
});

test('the package is self-contained and every exported path exists', () => {
  assert.equal(pkg.name, '@tailor/engine');
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.dependencies, undefined);
  const targets = JSON.stringify(pkg.exports).match(/"\.\/[^"]+"/g).map((s) => s.slice(1, -1));
  for (const t of [...targets, pkg.types, pkg.main]) assert.ok(existsSync(join(pkgDir, t)), t);
});

// Static imports reachable from an entry (this package's files only import relatively or node:).
function importGraph(entry, seen = new Set()) {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const source = readFileSync(entry, 'utf8');
  assert.doesNotMatch(source, /\bimport\(|\brequire\(/, `${entry}: only static imports are followed`);
  const specs = source.matchAll(/^(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]/gm);
  for (const spec of [...specs].map((m) => m[1] ?? m[2]))
    if (spec.startsWith('.')) importGraph(join(dirname(entry), spec), seen);
    else seen.add(spec);
  return seen;
}

test('the workerd/deno/default and browser entries import nothing outside the package', () => {
  for (const entry of ['src/index.js', 'src/browser.js']) {
    const outside = [...importGraph(join(pkgDir, entry))].filter((f) => !f.startsWith(join(pkgDir, 'src/')));
    assert.deepEqual(outside, [], entry);
  }
  assert.ok(importGraph(join(pkgDir, 'src/node.js')).has('node:fs/promises'), 'the graph walk sees node: imports');
});

test('node loadEngine reads and compiles tailor.wasm; a missing file is io_error', async () => {
  const engine = await loadNode({ wasmPath });
  assert.throws(() => engine.decide(basicsRequest), isCode('no_snapshot'));
  await assert.rejects(loadNode({ wasmPath: join(consumer, 'missing.wasm') }), isCode('io_error'));
});

test('browser loadEngine compiles while streaming, falls back on a wrong MIME type, reports HTTP errors', async (t) => {
  const served = [];
  const serve = (type, status = 200) => t.mock.method(globalThis, 'fetch', async (url) => {
    served.push(String(url));
    return new Response(status === 200 ? wasmBytes : 'nope', { status, headers: { 'content-type': type } });
  });
  serve('application/wasm');
  const streamed = await loadBrowser({ wasmUrl: 'https://cdn.test/tailor.wasm' });
  assert.equal(streamed.snapshotInfo(), null);
  assert.equal(served.length, 1);

  t.mock.restoreAll();
  serve('application/octet-stream');
  served.length = 0;
  const engine = await loadBrowser({ wasmUrl: new URL('https://cdn.test/tailor.wasm') });
  assert.equal(engine.snapshotInfo(), null);
  assert.equal(served.length, 2);

  t.mock.restoreAll();
  serve('text/plain', 404);
  await assert.rejects(loadBrowser({ wasmUrl: 'https://cdn.test/missing.wasm' }), isCode('io_error'));
});
