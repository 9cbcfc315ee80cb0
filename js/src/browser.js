// Browser entry: everything in index.js, plus loadEngine({ wasmUrl }) that fetches and compiles.
import { createEngine } from './engine.js';
import { TailorError } from './errors.js';

export * from './index.js';

export async function loadEngine({ wasmUrl, wasi } = {}) {
  return createEngine({ module: await compileUrl(wasmUrl), wasi });
}

async function compileUrl(url) {
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      return await WebAssembly.compileStreaming(fetchOk(url));
    } catch (err) {
      // A server that does not send application/wasm fails streaming only; a broken module or
      // a failed download fails both ways, so say so now.
      if (err instanceof WebAssembly.CompileError || err instanceof TailorError) throw err;
    }
  }
  return WebAssembly.compile(await (await fetchOk(url)).arrayBuffer());
}

async function fetchOk(url) {
  const res = await fetch(url);
  if (!res.ok) throw new TailorError('io_error', `fetching ${url}: HTTP ${res.status}`);
  return res;
}
