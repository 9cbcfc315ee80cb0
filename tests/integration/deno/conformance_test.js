// Every conformance vector decided through @tailor/engine (imported by relative path, the
// `deno` export condition's entry src/index.js) inside Deno: byte-identical to *.expected.json,
// and error vectors throw TailorError with the expected code.
import { createEngine, TailorError } from '../../../js/src/index.js';
import { assert, assertEquals, cases, profileFor, userIdOf, vectorsOf, wasmModule } from './common.js';

for (const c of cases) {
  const engine = await createEngine({ module: wasmModule });
  await engine.loadSnapshot(await Deno.readFile(c.snapshot));
  for (const v of vectorsOf(c)) {
    Deno.test(`engine: ${c.name}/${v.name}`, async () => {
      const profile = await profileFor(c, userIdOf(v.request));
      let out, err;
      try {
        out = engine.decideRaw(v.request, { profile: profile ?? undefined });
      } catch (e) {
        err = e;
      }
      if (v.error) {
        assert(err instanceof TailorError, `expected TailorError ${v.error}, got ${err ? err.message : `output ${out?.slice(0, 200)}`}`);
        assertEquals(err.code, v.error, 'error code');
        assert(Number.isInteger(err.status), 'core errors carry their numeric status');
      } else {
        if (err) throw err;
        assertEquals(out, v.expected, 'decision bytes');
      }
    });
  }
}

Deno.test('engine: the vectors with a user id did find their profiles (the user_hash naming matches the CLI)', async () => {
  let found = 0;
  for (const c of cases) for (const v of vectorsOf(c)) if (await profileFor(c, userIdOf(v.request))) found++;
  assert(found > 0, 'no vector had a profile: the profiles were not built or the hash differs');
});
