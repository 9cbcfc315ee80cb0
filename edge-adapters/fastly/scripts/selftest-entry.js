// Build-time self-test inside Fastly's JS runtime: built with
//   js-compute-runtime --enable-experimental-top-level-await scripts/selftest-entry.js out.wasm
// by scripts/selftest.mjs, which writes the files named below first. The top level runs during
// the build's Wizer initialisation in the real runtime (SpiderMonkey in WebAssembly), so every
// vector is decided there; any mismatch throws and fails the build.
import { includeBytes } from 'fastly:experimental';
import { installWebAssemblyFacade } from '../src/webassembly_facade.js';
import { createEngine, TailorError } from '../../../js/src/index.js';

const dec = new TextDecoder();
const plan = JSON.parse(dec.decode(includeBytes('.selftest/plan.json')));
const module = installWebAssemblyFacade();
let passed = 0;
const failures = [];
for (const c of plan.cases) {
  const engine = await createEngine({ module });
  const t0 = Date.now();
  await engine.loadSnapshot(includeBytes(c.snapshot));
  const loadMs = Date.now() - t0;
  const t1 = Date.now();
  for (const v of c.vectors) {
    const request = dec.decode(includeBytes(v.request));
    const profile = v.profile ? includeBytes(v.profile) : undefined;
    let got;
    try { got = engine.decideRaw(request, { profile }); } catch (e) {
      if (!(e instanceof TailorError)) throw e;
      got = `error:${e.code}`;
    }
    const want = v.error ? `error:${v.error}` : dec.decode(includeBytes(v.expected)).replace(/\n$/, '');
    if (got === want) passed++;
    else failures.push(`${c.name}/${v.name}: got ${got.slice(0, 200)}`);
  }
  console.log(`SELFTEST ${c.name}: load ${loadMs} ms, ${c.vectors.length} decisions ${Date.now() - t1} ms`);
}
if (failures.length) throw new Error(`SELFTEST FAILED ${failures.length}:\n${failures.join('\n')}`);
console.log(`SELFTEST OK ${passed} vectors`);
