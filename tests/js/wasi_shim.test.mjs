// The built-in WASI shim, on a hand-assembled module that imports fd_write and a function the
// shim does not implement, and exports them back with its memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wasiImports } from '../../js/src/wasi_shim.js';
import { wasmModule } from './helpers.mjs';

const str = (s) => [s.length, ...Buffer.from(s)];
const section = (id, body) => [id, body.length, ...body];
const vec = (items) => [items.length, ...items.flat()];
const I32 = 0x7f;
const probe = new WebAssembly.Module(new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  ...section(1, vec([[0x60, 4, I32, I32, I32, I32, 1, I32], [0x60, 0, 1, I32]])),       // types
  ...section(2, vec([[...str('wasi_snapshot_preview1'), ...str('fd_write'), 0, 0],      // imports
    [...str('wasi_snapshot_preview1'), ...str('sched_yield'), 0, 1]])),
  ...section(5, vec([[0, 1]])),                                                          // 1 page
  ...section(7, vec([[...str('fd_write'), 0, 0], [...str('sched_yield'), 0, 1], [...str('memory'), 2, 0]])),
]));

async function instantiate() {
  let memory;
  const { exports } = await WebAssembly.instantiate(probe, wasiImports(probe, () => memory));
  memory = exports.memory;
  return exports;
}

// iovecs at 0.., data at 64..; returns what fd_write stored as bytes written.
function write(x, fd, chunks) {
  const view = new DataView(x.memory.buffer);
  let at = 64;
  chunks.forEach((c, i) => {
    const bytes = Buffer.from(c);
    new Uint8Array(x.memory.buffer, at, bytes.length).set(bytes);
    view.setUint32(i * 8, at, true);
    view.setUint32(i * 8 + 4, bytes.length, true);
    at += bytes.length;
  });
  assert.equal(x.fd_write(fd, 0, chunks.length, 32), 0);
  return view.getUint32(32, true);
}

// A new import would get ENOSYS silently: this makes someone decide whether that is safe.
test('tailor.wasm imports only WASI functions the shim implements or may refuse', () => {
  const handled = new Set(['fd_write', 'fd_close', 'fd_seek', 'proc_exit', 'args_sizes_get', 'args_get',
    'environ_sizes_get', 'environ_get']);
  for (const imp of WebAssembly.Module.imports(wasmModule))
    assert.ok(imp.module === 'wasi_snapshot_preview1' && handled.has(imp.name), `unexpected import ${imp.module}.${imp.name}`);
});

test('fd_write reports every byte written; stdout is dropped, stderr goes to console.error by line', async (t) => {
  const logged = t.mock.method(console, 'error', () => {});
  const x = await instantiate();
  assert.equal(write(x, 1, ['dropped\n']), 8);
  assert.equal(logged.mock.callCount(), 0);
  assert.equal(write(x, 2, ['half ', 'a line']), 11);
  assert.equal(logged.mock.callCount(), 0);
  assert.equal(write(x, 2, ['\nnext\n']), 6);
  assert.deepEqual(logged.mock.calls.map((c) => c.arguments[0]), ['tailor.wasm: half a line', 'tailor.wasm: next']);
});

test('an import the shim does not implement answers ENOSYS instead of failing instantiation', async () => {
  assert.equal((await instantiate()).sched_yield(), 52);
});
