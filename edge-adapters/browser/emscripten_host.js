// emscripten_host.js: speaks the flat C ABI of wasm/tailor.h through the Emscripten build
// (build/web/tailor.mjs + tailor.wasm). Mirrors tests/conformance/wasi_engine.mjs: inputs are
// copied into linear memory with _tailor_alloc and freed before returning (success or not);
// outputs are copied out before the next call, because any call may grow memory.
//
//   import { loadEmscriptenEngine } from './emscripten_host.js';
//   const engine = await loadEmscriptenEngine({ moduleUrl: '/tailor/tailor.mjs' });
//   engine.loadSnapshot(new Uint8Array(await (await fetch(url)).arrayBuffer()));
//   const text = engine.decideRaw('{"slots":["home"]}', profileBytes);

// The package's error type and code names, so hosts and the package throw the same TailorError.
import { CORE_CODES, TailorError } from '../../js/src/errors.js';

export { TailorError };
export const CODE_NAMES = CORE_CODES;

const ABI_VERSION_SUPPORTED = 1;

// Imports the Emscripten ES module at `moduleUrl` (its default export is the factory,
// `createTailorModule`), instantiates it (tailor.wasm is located next to the .mjs unless
// `wasmUrl` is given) and returns an engine.
export async function loadEmscriptenEngine({ moduleUrl, wasmUrl } = {}) {
  if (!moduleUrl) throw new TailorError('invalid_argument', 'loadEmscriptenEngine: moduleUrl is required');
  let factory;
  try {
    factory = (await import(/* webpackIgnore: true */ new URL(moduleUrl, globalThis.location?.href).href)).default;
  } catch (err) {
    throw new TailorError('io_error', `loading ${moduleUrl}: ${err?.message ?? err}`);
  }
  if (typeof factory !== 'function') throw new TailorError('invalid_argument', `${moduleUrl}: no default export (not the Emscripten build of tailor)`);
  const opts = {};
  if (wasmUrl) opts.locateFile = (path, dir) => (path.endsWith('.wasm') ? wasmUrl : dir + path);
  const Module = await factory(opts);
  return createEmscriptenEngine(Module);
}

// Reads linear memory as bytes. HEAPU8 is set on Module by the glue in use (it is re-created when
// memory grows, so it is looked up on every call); newer Emscripten only exports it with
// -s EXPORTED_RUNTIME_METHODS=[HEAPU8], so fall back to the exported WebAssembly.Memory.
function heapOf(Module) {
  if (Module.HEAPU8 instanceof Uint8Array) return () => Module.HEAPU8;
  const exportsObj = Module.asm ?? Module.wasmExports ?? {};
  const memory = Module.wasmMemory ?? Object.values(exportsObj).find((v) => v instanceof WebAssembly.Memory);
  if (!memory) throw new TailorError('invalid_argument', 'Emscripten module exposes neither HEAPU8 nor its memory (add -s EXPORTED_RUNTIME_METHODS=[HEAPU8])');
  return () => new Uint8Array(memory.buffer);
}

export function createEmscriptenEngine(Module) {
  const required = ['_tailor_abi_version', '_tailor_engine_create', '_tailor_engine_free', '_tailor_alloc',
    '_tailor_free', '_tailor_engine_load_snapshot', '_tailor_engine_decide', '_tailor_engine_output',
    '_tailor_engine_output_len', '_tailor_engine_last_error', '_tailor_engine_snapshot_info'];
  const missing = required.filter((n) => typeof Module[n] !== 'function');
  if (missing.length) throw new TailorError('invalid_argument', `not the Emscripten build of tailor (missing ${missing.join(', ')})`);
  const abi = Module._tailor_abi_version() >>> 0;
  if (abi !== ABI_VERSION_SUPPORTED) throw new TailorError('invalid_argument', `tailor ABI ${abi}, this host speaks ${ABI_VERSION_SUPPORTED}`);
  const heap = heapOf(Module);
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let handle = Module._tailor_engine_create();
  if (!handle) throw new TailorError('internal', 'tailor_engine_create: out of memory');

  const live = () => { if (!handle) throw new TailorError('disposed', 'engine disposed'); };
  const copyIn = (bytes) => {
    if (!bytes || bytes.length === 0) return 0;
    const p = Module._tailor_alloc(bytes.length);
    if (!p) throw new TailorError('limit_exceeded', `tailor_alloc(${bytes.length}) failed`);
    heap().set(bytes, p);
    return p;
  };
  const cstr = (p) => {
    if (!p) return '';
    const mem = heap();
    let e = p;
    while (mem[e]) e++;
    return dec.decode(mem.slice(p, e));
  };
  const fail = (rc) => new TailorError(CODE_NAMES[rc] ?? 'internal', cstr(Module._tailor_engine_last_error(handle)) || `tailor status ${rc}`, rc);
  const asBytes = (b) => (b == null ? new Uint8Array() : b instanceof Uint8Array ? b : new Uint8Array(b));

  return {
    Module,
    get memoryBytes() { return heap().byteLength; },
    // Copies, verifies and activates a snapshot; on error the previous one keeps serving.
    loadSnapshot(bytes) {
      live();
      const b = asBytes(bytes);
      const p = copyIn(b);
      let rc;
      try { rc = Module._tailor_engine_load_snapshot(handle, p, b.length); } finally { Module._tailor_free(p); }
      if (rc !== 0) throw fail(rc);
      return this.snapshotInfo();
    },
    // The decision JSON exactly as the core wrote it.
    decideRaw(request, profile) {
      live();
      const req = enc.encode(typeof request === 'string' ? request : JSON.stringify(request));
      const prof = asBytes(profile);
      const rp = copyIn(req);
      let pp = 0;
      let rc;
      try {
        pp = copyIn(prof);
        rc = Module._tailor_engine_decide(handle, rp, req.length, pp, prof.length);
      } finally {
        Module._tailor_free(rp);
        Module._tailor_free(pp);
      }
      if (rc !== 0) throw fail(rc);
      const p = Module._tailor_engine_output(handle);
      const n = Module._tailor_engine_output_len(handle) >>> 0;
      return dec.decode(heap().slice(p, p + n));
    },
    decide(request, profile) {
      return JSON.parse(this.decideRaw(request, profile));
    },
    snapshotInfo() {
      live();
      const s = cstr(Module._tailor_engine_snapshot_info(handle));
      return s ? JSON.parse(s) : null;
    },
    dispose() {
      if (handle) Module._tailor_engine_free(handle);
      handle = 0;
    },
  };
}
