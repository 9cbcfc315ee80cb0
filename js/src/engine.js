// Engine: one tailor.wasm instance speaking the C ABI of wasm/tailor.h, one snapshot at a time.
//
// Every engine gets its own instance and linear memory: tenants never share a heap, and dropping
// an engine releases all of its memory with the instance. Inputs are copied into wasm memory with
// tailor_alloc and freed in `finally`; results are copied out (decoded to strings) before any
// other call, so no view of the heap ever escapes.
import { TailorError, coreError } from './errors.js';
import { verifySnapshot } from './verify.js';
import { wasiImports } from './wasi_shim.js';

const ABI_VERSION = 1; // wasm/tailor.h tailor_abi_version() this package speaks
const REQUIRED_EXPORTS = ['memory', 'tailor_abi_version', 'tailor_engine_create', 'tailor_engine_free', 'tailor_alloc',
  'tailor_free', 'tailor_engine_load_snapshot', 'tailor_engine_load_snapshot_for', 'tailor_engine_decide', 'tailor_engine_output',
  'tailor_engine_output_len', 'tailor_engine_last_error', 'tailor_engine_snapshot_info'];
const disposeSymbol = Symbol.dispose ?? Symbol.for('Symbol.dispose');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// `module`: a compiled WebAssembly.Module of tailor.wasm (edge runtimes forbid compiling bytes).
// `wasi`: optional WASI host with getImportObject() and initialize(instance), e.g. node:wasi's
// WASI; by default a built-in shim that drops stdout and forwards stderr to console.error.
// `tenant`: binds the engine to one tenant: every loadSnapshot then refuses (tenant_mismatch,
// before activation) a snapshot built for any other tenant, and decide() refuses requests and
// profiles naming another tenant (the core checks both against the active snapshot).
export async function createEngine({ module, wasi, tenant } = {}) {
  if (tenant !== undefined && (typeof tenant !== 'string' || tenant === ''))
    throw new TailorError('invalid_argument', 'createEngine: `tenant` must be a non-empty string');
  if (!(module instanceof WebAssembly.Module))
    throw new TailorError('invalid_argument', 'createEngine: `module` must be a compiled WebAssembly.Module of tailor.wasm');
  const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = REQUIRED_EXPORTS.filter((n) => !exported.has(n));
  if (missing.length) throw new TailorError('invalid_argument', `createEngine: not tailor.wasm (missing exports ${missing.join(', ')})`);

  let memory;
  const imports = wasi ? wasi.getImportObject() : wasiImports(module, () => memory);
  const instance = await WebAssembly.instantiate(module, imports);
  const x = instance.exports;
  memory = x.memory;
  if (wasi) wasi.initialize(instance);
  else x._initialize?.();

  if (x.tailor_abi_version() !== ABI_VERSION)
    throw new TailorError('invalid_argument', `tailor.wasm speaks ABI ${x.tailor_abi_version()}, this package ABI ${ABI_VERSION}`);
  const handle = x.tailor_engine_create();
  if (!handle) throw new TailorError('internal', 'tailor_engine_create: out of memory');
  return new Engine(x, handle, tenant);
}

class Engine {
  #x;
  #handle;
  #tenant; // bound tenant or undefined
  #loads = Promise.resolve(); // loads apply in call order, whatever their verification takes

  constructor(exports, handle, tenant) {
    this.#x = exports;
    this.#handle = handle;
    this.#tenant = tenant;
  }

  // The tenant this engine is bound to (createEngine({tenant})), or undefined.
  get tenant() {
    return this.#tenant;
  }

  // Verifies (when publicKeys are given), then activates `bytes`; on any failure the previous
  // snapshot keeps serving. Resolves to the new snapshot's info. `options.tenant` (or the bound
  // tenant) refuses a snapshot of another tenant; a bound engine cannot be asked for another one.
  loadSnapshot(bytes, options = {}) {
    let run;
    try {
      this.#live();
      if (options.tenant !== undefined && (typeof options.tenant !== 'string' || options.tenant === ''))
        throw new TailorError('invalid_argument', 'loadSnapshot: `tenant` must be a non-empty string');
      if (this.#tenant !== undefined && options.tenant !== undefined && options.tenant !== this.#tenant)
        throw new TailorError('tenant_mismatch', `loadSnapshot: this engine is bound to tenant '${this.#tenant}', not '${options.tenant}'`);
      bytes = asBytes(bytes, 'snapshot');
      // Copied now, before any await: the bytes that are verified are the bytes that get loaded,
      // whatever the caller does with its buffer meanwhile.
      if (options.publicKeys !== undefined) bytes = new Uint8Array(bytes);
      run = this.#loads.then(() => this.#load(bytes, options));
    } catch (err) {
      run = Promise.reject(err);
    }
    this.#loads = run.catch(() => {});
    return run;
  }

  async #load(bytes, { publicKeys, signature, requiredSignatures, tenant }) {
    this.#live();
    if (publicKeys !== undefined) {
      await verifySnapshot(bytes, { publicKeys, signature, requiredSignatures });
      this.#live(); // disposed while verifying
    }
    const expected = encoder.encode(tenant ?? this.#tenant ?? '');
    this.#call((p, t) => this.#x.tailor_engine_load_snapshot_for(this.#handle, p, bytes.length, t, expected.length),
      bytes, expected);
    return this.snapshotInfo();
  }

  // The decision JSON as the core wrote it (byte-exact; conformance compares these).
  decideRaw(request, { profile } = {}) {
    this.#live();
    const req = typeof request === 'string' ? request : stringify(request);
    const reqBytes = encoder.encode(req);
    const profBytes = profile == null ? new Uint8Array() : asBytes(profile, 'profile');
    const x = this.#x;
    this.#call((rp, pp) => x.tailor_engine_decide(this.#handle, rp, reqBytes.length, pp, profBytes.length), reqBytes, profBytes);
    return this.#string(x.tailor_engine_output(this.#handle), x.tailor_engine_output_len(this.#handle));
  }

  decide(request, options) {
    return JSON.parse(this.decideRaw(request, options));
  }

  // {tenant, version, hash, built_at, items, bytes} of the active snapshot, or null.
  snapshotInfo() {
    this.#live();
    const text = this.#cstring(this.#x.tailor_engine_snapshot_info(this.#handle));
    return text ? JSON.parse(text) : null;
  }

  // Size of this engine's linear memory in bytes (it grows, never shrinks).
  get memoryBytes() {
    this.#live();
    return this.#x.memory.buffer.byteLength;
  }

  // Frees the core engine; the instance's memory goes with the last reference to this object.
  // No FinalizationRegistry: an engine that is never disposed leaks nothing, because its
  // instance is its own and is collected with it.
  dispose() {
    if (this.#handle === 0) return;
    this.#x.tailor_engine_free(this.#handle);
    this.#handle = 0;
  }

  [disposeSymbol]() {
    this.dispose();
  }

  #live() {
    if (this.#handle === 0) throw new TailorError('disposed', 'the engine was disposed');
  }

  // Copies each input into wasm memory, runs `fn(...pointers)`, frees them, throws on a status.
  #call(fn, ...inputs) {
    const x = this.#x;
    const ptrs = [];
    try {
      for (const bytes of inputs) {
        const p = bytes.length ? x.tailor_alloc(bytes.length) : 0;
        if (bytes.length && !p) throw new TailorError('limit_exceeded', `out of wasm memory for ${bytes.length} bytes`);
        if (p) new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
        ptrs.push(p);
      }
      const status = fn(...ptrs);
      if (status !== 0) throw coreError(status, this.#cstring(x.tailor_engine_last_error(this.#handle)));
    } finally {
      for (const p of ptrs) x.tailor_free(p);
    }
  }

  #string(ptr, len) {
    return decoder.decode(new Uint8Array(this.#x.memory.buffer, ptr, len));
  }

  #cstring(ptr) {
    const mem = new Uint8Array(this.#x.memory.buffer);
    const end = mem.indexOf(0, ptr);
    return decoder.decode(mem.subarray(ptr, end < 0 ? ptr : end));
  }
}

function stringify(request) {
  let text;
  try {
    text = JSON.stringify(request);
  } catch (e) {
    throw new TailorError('invalid_argument', `decide: request cannot be serialized: ${e.message}`);
  }
  if (text === undefined) throw new TailorError('invalid_argument', 'decide: request must be an object or a JSON string');
  return text;
}

function asBytes(value, what) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TailorError('invalid_argument', `${what} must be a Uint8Array or an ArrayBuffer`);
}
