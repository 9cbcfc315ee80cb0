// The part of the WebAssembly JS API that @tailor/engine uses (engine.js, wasi_shim.js), over
// tailor.wasm translated to JavaScript by wasm2js (scripts/wasm2js.mjs). Fastly's JS runtime
// has no `WebAssembly` global; installWebAssemblyFacade() defines one only when it is missing.
//
//   WebAssembly.Module             instanceof target; one value: the translated tailor.wasm
//   WebAssembly.Module.exports(m)  / .imports(m): the original module's descriptors
//   WebAssembly.instantiate(m, imports) → Promise<{exports}> with a fresh linear memory
import { instantiateTailorWasm2js, wasmExports, wasmImports } from './generated/tailor_wasm2js.js';

class Module {
  #factory;
  constructor(factory, exportsList, importsList) {
    this.#factory = factory;
    this.exportsList = exportsList;
    this.importsList = importsList;
  }
  static exports(m) { return m.exportsList.map((e) => ({ ...e })); }
  static imports(m) { return m.importsList.map((i) => ({ ...i })); }
  instantiate(imports) { return this.#factory(imports); }
}

export const facade = {
  Module,
  Instance: class Instance {
    constructor(module, imports) { this.exports = module.instantiate(imports); }
  },
  instantiate: async (module, imports) => {
    if (!(module instanceof Module)) throw new TypeError('WebAssembly facade: only the translated tailor.wasm can be instantiated');
    return new facade.Instance(module, imports);
  },
  compile: async () => { throw new TypeError('WebAssembly facade: compiling bytes is not supported'); },
};

// The module to pass as createEngine({ module }) / createTailorHandler({ wasmModule }).
export function installWebAssemblyFacade() {
  if (typeof globalThis.WebAssembly === 'undefined') globalThis.WebAssembly = facade;
  if (globalThis.WebAssembly !== facade)
    throw new Error('a real WebAssembly exists here: use tailor.wasm, not the wasm2js facade');
  return new Module(instantiateTailorWasm2js, wasmExports, wasmImports);
}
