// The shipped WebAssembly artefacts: exports are exactly the allowlist, imports are only the
// WASI calls the JS hosts provide, and the release tailor.wasm stays under its size budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const SIZE_BUDGET = 256 * 1024;  // docs/performance.md#size
const wasmPath = process.env.TAILOR_WASM;
const scalarPath = process.env.TAILOR_WASM_SCALAR;
const webDir = process.env.TAILOR_WEB_DIR;
const allow = readFileSync(process.env.TAILOR_EXPORTS, 'utf8').split('\n')
  .map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/^@/, ''));

function must(path, how) {
  assert.ok(path && existsSync(path), `${path} is missing: ${how}`);
  return path;
}

for (const [label, path, how] of [
  ['simd', wasmPath, 'cmake --preset wasi && cmake --build --preset wasi'],
  ['scalar', scalarPath, 'cmake --preset wasi-scalar && cmake --build --preset wasi-scalar'],
]) {
  test(`tailor.wasm (${label}) exports exactly the allowlist`, () => {
    const mod = new WebAssembly.Module(readFileSync(must(path, how)));
    const exports = WebAssembly.Module.exports(mod).map((e) => e.name).sort();
    assert.deepEqual(exports, [...allow].sort());
  });

  test(`tailor.wasm (${label}) imports only WASI preview1 calls`, () => {
    const mod = new WebAssembly.Module(readFileSync(must(path, how)));
    for (const imp of WebAssembly.Module.imports(mod)) {
      assert.equal(imp.module, 'wasi_snapshot_preview1', `unexpected import ${imp.module}.${imp.name}`);
    }
  });

  test(`tailor.wasm (${label}) is under the ${SIZE_BUDGET / 1024} KB budget`, () => {
    const size = statSync(must(path, how)).size;
    assert.ok(size < SIZE_BUDGET, `tailor.wasm is ${size} bytes, budget ${SIZE_BUDGET}`);
  });
}

test('the SIMD build runs f32x4 kernels and the scalar build has none', () => {
  const disasm = (path) => {
    const r = spawnSync('wasm-objdump', ['-d', path], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, `wasm-objdump failed (apt-get install wabt): ${r.stderr}`);
    return r.stdout;
  };
  assert.match(disasm(must(wasmPath, 'build the wasi preset')), /f32x4\.mul/);
  assert.doesNotMatch(disasm(must(scalarPath, 'build the wasi-scalar preset')), /f32x4\.mul/);
});

test('the Emscripten browser build exists with its ES module glue', () => {
  const how = 'cmake --preset web && cmake --build --preset web (needs NODE_PATH=/usr/share/nodejs)';
  const mjs = readFileSync(must(join(webDir, 'tailor.mjs'), how), 'utf8');
  assert.match(mjs, /export default createTailorModule/);
  const mod = new WebAssembly.Module(readFileSync(must(join(webDir, 'tailor.wasm'), how)));
  assert.ok(WebAssembly.Module.exports(mod).length >= allow.length - 2);
});
