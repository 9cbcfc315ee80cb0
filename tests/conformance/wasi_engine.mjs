// Minimal host for tailor.wasm under node:wasi, speaking the C ABI of wasm/tailor.h directly.
// (The full JS package lives in js/; the conformance suite keeps its own tiny loader so it tests
// the raw ABI.)
import { WASI } from 'node:wasi';
import { readFileSync } from 'node:fs';

export async function loadWasiEngine(wasmPath) {
  const wasi = new WASI({ version: 'preview1', args: [], env: {}, returnOnExit: true });
  const module = await WebAssembly.compile(readFileSync(wasmPath));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  wasi.initialize(instance);
  const x = instance.exports;
  const handle = x.tailor_engine_create();
  const enc = new TextEncoder();
  const dec = new TextDecoder();

  const copyIn = (bytes) => {
    if (bytes.length === 0) return 0;
    const p = x.tailor_alloc(bytes.length);
    new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
    return p;
  };
  const cstr = (p) => {
    const mem = new Uint8Array(x.memory.buffer);
    let e = p;
    while (mem[e]) e++;
    return dec.decode(mem.slice(p, e));
  };
  const fail = (code) => {
    const err = new Error(cstr(x.tailor_engine_last_error(handle)));
    err.status = code;
    return err;
  };

  return {
    exports: x,
    loadSnapshot(bytes) {
      const p = copyIn(bytes);
      const rc = x.tailor_engine_load_snapshot(handle, p, bytes.length);
      x.tailor_free(p);
      if (rc !== 0) throw fail(rc);
    },
    decide(requestText, profileBytes = new Uint8Array()) {
      const req = enc.encode(requestText);
      const rp = copyIn(req);
      const pp = copyIn(profileBytes);
      const rc = x.tailor_engine_decide(handle, rp, req.length, pp, profileBytes.length);
      x.tailor_free(rp);
      x.tailor_free(pp);
      if (rc !== 0) throw fail(rc);
      const p = x.tailor_engine_output(handle);
      const n = x.tailor_engine_output_len(handle);
      return dec.decode(new Uint8Array(x.memory.buffer, p, n).slice());
    },
    snapshotInfo() {
      return cstr(x.tailor_engine_snapshot_info(handle));
    },
    free() {
      x.tailor_engine_free(handle);
    },
  };
}
