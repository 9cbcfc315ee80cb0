// Module worker for chromium.test.mjs (d): the Emscripten host off the main thread.
// Message in: {moduleUrl, snapshotUrl, request}; out: {out} or {error, message}.
import { loadEmscriptenEngine } from '/edge-adapters/browser/emscripten_host.js';

self.onmessage = async ({ data }) => {
  try {
    const engine = await loadEmscriptenEngine({ moduleUrl: data.moduleUrl });
    const res = await fetch(data.snapshotUrl);
    engine.loadSnapshot(new Uint8Array(await res.arrayBuffer()));
    self.postMessage({ out: engine.decideRaw(data.request) });
    engine.dispose();
  } catch (e) {
    self.postMessage({ error: e?.code ?? 'exception', message: String(e?.stack ?? e) });
  }
};
