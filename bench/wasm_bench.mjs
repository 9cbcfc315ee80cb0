// tailor.wasm (WASI reactor) decision benchmark under Node: same inputs as decide_bench.
//   node bench/wasm_bench.mjs WASM SNAPSHOT REQUEST ITERATIONS [PROFILE]
import { readFileSync } from 'node:fs';
import { loadWasiEngine } from '../tests/conformance/wasi_engine.mjs';

const [wasmPath, snapPath, reqPath, iterArg, profPath] = process.argv.slice(2);
const engine = await loadWasiEngine(wasmPath);
const snap = readFileSync(snapPath);
const t0 = performance.now();
engine.loadSnapshot(snap);
const loadUs = (performance.now() - t0) * 1000;
const req = readFileSync(reqPath, 'utf8');
const prof = profPath ? readFileSync(profPath) : new Uint8Array();
const iters = Number(iterArg);
for (let i = 0; i < Math.min(50, iters); i++) engine.decide(req, prof);  // JIT tier-up
const us = [];
let out = '';
for (let i = 0; i < iters; i++) {
  const a = performance.now();
  out = engine.decide(req, prof);
  us.push((performance.now() - a) * 1000);
}
us.sort((a, b) => a - b);
const pct = (q) => us[Math.min(us.length - 1, Math.floor(q * us.length))];
const mean = us.reduce((s, v) => s + v, 0) / us.length;
const items = JSON.parse(engine.snapshotInfo()).items;
console.log(JSON.stringify({ runtime: 'wasi-node', items, iterations: iters, load_us: +loadUs.toFixed(1),
  mean_us: +mean.toFixed(1), p50_us: +pct(0.5).toFixed(1), p99_us: +pct(0.99).toFixed(1), output_bytes: out.length }));
