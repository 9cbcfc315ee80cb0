// Conformance runner: every vector of one case decided by one runtime must equal the expected
// bytes. Runtimes: `native` (build/native/bin/tailor decide) and `wasi` (tailor.wasm, node:wasi).
//
//   node --test tests/conformance/run.mjs    (configured through the environment, see below)
//   TAILOR_CASE=tests/conformance/basics TAILOR_RUNTIME=native|wasi TAILOR_WORK=build/native/conformance
//   TAILOR_CLI=build/native/bin/tailor TAILOR_WASM=build/wasi/bin/tailor.wasm
//   TAILOR_UPDATE=1 rewrites expected files from the native runtime (review the diff!).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { buildCaseProfiles } from './profiles.mjs';
import { loadWasiEngine } from './wasi_engine.mjs';

const caseDir = resolve(process.env.TAILOR_CASE ?? '');
const runtime = process.env.TAILOR_RUNTIME ?? 'native';
const cli = resolve(process.env.TAILOR_CLI ?? 'build/native/bin/tailor');
const wasmPath = resolve(process.env.TAILOR_WASM ?? 'build/wasi/bin/tailor.wasm');
const work = resolve(process.env.TAILOR_WORK ?? 'build/native/conformance', `${basename(caseDir)}-${runtime}`);
const update = process.env.TAILOR_UPDATE === '1';

if (!existsSync(join(caseDir, 'tailor.json'))) throw new Error(`TAILOR_CASE: no tailor.json in ${caseDir}`);
if (!existsSync(cli)) throw new Error(`tailor CLI not found at ${cli}: build the native preset first`);
if (runtime.startsWith('wasi') && !existsSync(wasmPath))
  throw new Error(`tailor.wasm not found at ${wasmPath}: run cmake --preset wasi && cmake --build --preset wasi`);

// Snapshot and profiles are always built by the native CLI: the runtimes under test only decide.
mkdirSync(work, { recursive: true });
const snapshotPath = join(work, 'snapshot.tsnap');
execFileSync(cli, ['build', '--config', join(caseDir, 'tailor.json'), '--out', snapshotPath], { stdio: 'pipe' });
const profilesDir = join(work, 'profiles');
const config = JSON.parse(readFileSync(join(caseDir, 'tailor.json'), 'utf8'));
buildCaseProfiles(cli, caseDir, snapshotPath, profilesDir);

function profileFor(request) {
  let id;
  try { id = JSON.parse(request)?.user?.id; } catch { return null; }
  if (!id) return null;
  const hash = createHash('sha256').update(`${config.tenant.id}:${id}`).digest('hex').slice(0, 32);
  const p = join(profilesDir, `${hash}.tprof`);
  return existsSync(p) ? p : null;
}

let wasm = null;
if (runtime.startsWith('wasi')) {
  wasm = await loadWasiEngine(wasmPath);
  wasm.loadSnapshot(readFileSync(snapshotPath));
}

// Returns {out} with the decision bytes, or {error} with the status code name.
const CODE_NAMES = ['ok', 'invalid_argument', 'parse_error', 'snapshot_invalid', 'snapshot_wrong_identifier',
  'snapshot_incompatible', 'no_snapshot', 'unknown_slot', 'limit_exceeded', 'profile_invalid', 'not_found',
  'io_error', 'internal', 'tenant_mismatch'];
function decide(requestText, profilePath) {
  if (runtime === 'native') {
    const args = ['decide', '--snapshot', snapshotPath];
    if (profilePath) args.push('--profile', profilePath);
    const r = spawnSync(cli, args, { input: requestText, encoding: 'utf8' });
    if (r.status === 0) return { out: r.stdout.replace(/\n$/, '') };
    if (r.status === 1) return { error: JSON.parse(r.stdout).error.code };
    throw new Error(`tailor decide exited ${r.status}: ${r.stderr}`);
  }
  try {
    return { out: wasm.decide(requestText, profilePath ? readFileSync(profilePath) : new Uint8Array()) };
  } catch (e) {
    if (e.status === undefined) throw e;
    return { error: CODE_NAMES[e.status] ?? String(e.status) };
  }
}

const vectors = join(caseDir, 'vectors');
for (const f of readdirSync(vectors).filter((n) => n.endsWith('.request.json')).sort()) {
  const name = f.replace(/\.request\.json$/, '');
  test(`${basename(caseDir)}/${name} [${runtime}]`, () => {
    const request = readFileSync(join(vectors, f), 'utf8');
    const got = decide(request, profileFor(request));
    const expectedPath = join(vectors, `${name}.expected.json`);
    const errorPath = join(vectors, `${name}.error`);
    if (update && runtime === 'native') {
      if (got.error) writeFileSync(errorPath, `${got.error}\n`);
      else writeFileSync(expectedPath, `${got.out}\n`);
    }
    if (existsSync(errorPath)) {
      assert.equal(got.error, readFileSync(errorPath, 'utf8').trim(), `expected error code (got output ${got.out?.slice(0, 200)})`);
    } else {
      assert.ok(existsSync(expectedPath), `missing ${expectedPath} (run with TAILOR_UPDATE=1 and review)`);
      assert.equal(got.error, undefined, `unexpected error ${got.error}`);
      assert.equal(got.out, readFileSync(expectedPath, 'utf8').replace(/\n$/, ''));
    }
  });
}
