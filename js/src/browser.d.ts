export * from './index.js';
import type { Engine, WasiHost } from './index.js';

/** Fetches tailor.wasm, compiles it while streaming (falls back to a buffered compile when the
 * server does not send application/wasm) and creates an engine. */
export function loadEngine(options: { wasmUrl: string | URL; wasi?: WasiHost }): Promise<Engine>;
