// The smallest WASI preview1 host tailor.wasm needs. The core does no I/O: libc links fd_write,
// fd_seek and fd_close for stdio it never uses on the decision path. Every function the module
// imports gets an implementation, so a future build that links one more still instantiates:
// unknown ones answer ENOSYS instead of failing at instantiation.

const ENOSYS = 52;
const WASI = 'wasi_snapshot_preview1';

// `memory` is called lazily: the instance (and its memory) does not exist yet when imports are built.
export function wasiImports(module, memory) {
  const stderr = lineWriter((line) => console.error(`tailor.wasm: ${line}`));
  const known = {
    fd_write(fd, iovs, iovsLen, nwrittenPtr) {
      const view = new DataView(memory().buffer);
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view.getUint32(iovs + i * 8, true);
        const len = view.getUint32(iovs + i * 8 + 4, true);
        if (fd === 2) stderr(new Uint8Array(memory().buffer, ptr, len));
        total += len;
      }
      // Report everything as written (stdout is dropped) so libc never retries.
      view.setUint32(nwrittenPtr, total, true);
      return 0;
    },
    // No arguments, no environment.
    args_sizes_get: (countPtr, sizePtr) => zeroes(memory(), countPtr, sizePtr),
    environ_sizes_get: (countPtr, sizePtr) => zeroes(memory(), countPtr, sizePtr),
    args_get: () => 0,
    environ_get: () => 0,
    proc_exit(code) {
      // Must not return: the module would run on past exit().
      throw new Error(`tailor.wasm called proc_exit(${code})`);
    },
  };
  const ns = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== WASI) continue; // anything else is not ours to provide: instantiation reports it
    if (imp.kind === 'function') ns[imp.name] = known[imp.name] ?? (() => ENOSYS);
  }
  return { [WASI]: ns };
}

function zeroes(memory, a, b) {
  const view = new DataView(memory.buffer);
  view.setUint32(a, 0, true);
  view.setUint32(b, 0, true);
  return 0;
}

// Stderr arrives in fragments; emit whole lines only.
function lineWriter(emit) {
  const decoder = new TextDecoder();
  let pending = '';
  return (bytes) => {
    pending += decoder.decode(bytes, { stream: true });
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      emit(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  };
}
