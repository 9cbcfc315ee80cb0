export * from './index.js';
import type { Engine, WasiHost } from './index.js';

/** Reads tailor.wasm from disk, compiles it and creates an engine. */
export function loadEngine(options: { wasmPath: string | URL; wasi?: WasiHost }): Promise<Engine>;
