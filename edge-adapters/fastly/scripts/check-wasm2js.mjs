#!/usr/bin/env node
// Checks the wasm2js translation against the conformance vectors in Node, with the global
// `WebAssembly` removed (as in Fastly's runtime) so the engine can only run through the facade.
// Usage (repo root): node edge-adapters/fastly/scripts/check-wasm2js.mjs [case ...]
//   env TAILOR_CLI (default build/native/bin/tailor) builds each case's snapshot and profiles.
// Run scripts/wasm2js.mjs first. Every vector must match byte for byte (or fail with its code).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { buildCaseProfiles } from '../../../tests/conformance/profiles.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const cli = resolve(process.env.TAILOR_CLI ?? join(repo, 'build/native/bin/tailor'));

delete globalThis.WebAssembly;                     // no fetch below: undici's wasm is not needed
const { installWebAssemblyFacade } = await import('../src/webassembly_facade.js');
const { createEngine, TailorError } = await import('../../../js/src/index.js');
const module = installWebAssemblyFacade();

const confDir = join(repo, 'tests/conformance');
const cases = process.argv.slice(2).length ? process.argv.slice(2)
  : readdirSync(confDir).filter((n) => existsSync(join(confDir, n, 'tailor.json'))).sort();
const work = mkdtempSync(join(tmpdir(), 'tailor-wasm2js-'));
let passed = 0, failed = 0;
try {
  for (const name of cases) {
    const caseDir = join(confDir, name);
    const tenant = JSON.parse(readFileSync(join(caseDir, 'tailor.json'), 'utf8')).tenant.id;
    const snap = join(work, `${name}.tsnap`);
    execFileSync(cli, ['build', '--config', join(caseDir, 'tailor.json'), '--out', snap], { stdio: 'pipe' });
    const profiles = join(work, name);
    mkdirSync(profiles);
    buildCaseProfiles(cli, caseDir, snap, profiles);
    const engine = await createEngine({ module });
    let t0 = performance.now();
    await engine.loadSnapshot(readFileSync(snap));
    console.log(`${name}: snapshot loaded in ${(performance.now() - t0).toFixed(1)} ms`);
    const dir = join(caseDir, 'vectors');
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.request.json')).sort()) {
      const v = f.replace(/\.request\.json$/, '');
      const request = readFileSync(join(dir, f), 'utf8');
      let userId = null;
      try { userId = JSON.parse(request)?.user?.id ?? null; } catch {}
      const hash = userId && createHash('sha256').update(`${tenant}:${userId}`).digest('hex').slice(0, 32);
      const profilePath = hash && join(profiles, `${hash}.tprof`);
      const profile = profilePath && existsSync(profilePath) ? readFileSync(profilePath) : undefined;
      let got;
      try { got = engine.decideRaw(request, { profile }); } catch (e) {
        if (!(e instanceof TailorError)) throw e;
        got = `error:${e.code}`;
      }
      const errorFile = join(dir, `${v}.error`);
      const want = existsSync(errorFile) ? `error:${readFileSync(errorFile, 'utf8').trim()}`
        : readFileSync(join(dir, `${v}.expected.json`), 'utf8').replace(/\n$/, '');
      if (got === want) passed++;
      else { failed++; console.log(`FAIL ${name}/${v}\n  got:  ${got.slice(0, 300)}\n  want: ${want.slice(0, 300)}`); }
    }
    engine.dispose();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`wasm2js: ${passed} vectors passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
