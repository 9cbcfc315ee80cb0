// Node entry: everything in index.js, plus loadEngine({ wasmPath }) that reads and compiles the file.
import { readFile } from 'node:fs/promises';
import { createEngine } from './engine.js';
import { TailorError } from './errors.js';

export * from './index.js';

export async function loadEngine({ wasmPath, wasi } = {}) {
  let bytes;
  try {
    bytes = await readFile(wasmPath);
  } catch (err) {
    throw new TailorError('io_error', `reading ${wasmPath}: ${err.message}`);
  }
  const module = await WebAssembly.compile(bytes);
  return createEngine({ module, wasi });
}
