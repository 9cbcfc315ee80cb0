// Runs the Deno integration tests (*_test.js) in real Deno: node_modules/.bin/deno from the
// workspace devDependencies. This wrapper builds every conformance case's snapshot and profiles
// with the native CLI into a temp dir (TAILOR_DENO_WORK/files/<tenant>.tsnap,
// files/profiles/<tenant>/<user_hash>.tprof, <tenant>.v2.tsnap, cases.json), then runs `deno test` offline with
// DENO_DIR inside that temp dir, streaming its output, and asserts it exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCaseProfiles } from '../../conformance/profiles.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const deno = join(repo, 'node_modules/.bin/deno');
const cli = resolve(process.env.TAILOR_CLI ?? join(repo, 'build/native/bin/tailor'));
const wasm = resolve(process.env.TAILOR_WASM ?? join(repo, 'build/wasi/bin/tailor.wasm'));

test('deno: conformance vectors, handler over loopback, Deno Deploy and Netlify entries', async () => {
  assert.ok(existsSync(deno), `deno not found at ${deno}: run npm ci (deno is a devDependency of the workspace)`);
  assert.ok(existsSync(cli), `tailor CLI not found at ${cli}: cmake --preset native && cmake --build --preset native`);
  assert.ok(existsSync(wasm), `tailor.wasm not found at ${wasm}: scripts/build wasi`);

  const work = mkdtempSync(join(tmpdir(), 'tailor-deno-'));
  try {
    const files = join(work, 'files');
    const cases = [];
    const confDir = join(repo, 'tests/conformance');
    for (const name of readdirSync(confDir).sort()) {
      const caseDir = join(confDir, name);
      if (!existsSync(join(caseDir, 'tailor.json'))) continue;
      const tenant = JSON.parse(readFileSync(join(caseDir, 'tailor.json'), 'utf8')).tenant.id;
      const snapshot = join(files, `${tenant}.tsnap`);
      execFileSync(cli, ['build', '--config', join(caseDir, 'tailor.json'), '--out', snapshot], { stdio: 'pipe' });
      // The same data labelled v2: different bytes, for reload tests.
      const snapshotV2 = join(work, `${tenant}.v2.tsnap`);
      execFileSync(cli, ['build', '--config', join(caseDir, 'tailor.json'), '--out', snapshotV2, '--version', 'v2'], { stdio: 'pipe' });
      const profiles = join(files, 'profiles', tenant);
      mkdirSync(profiles, { recursive: true });
      buildCaseProfiles(cli, caseDir, snapshot, profiles);
      cases.push({ name, tenant, caseDir, snapshot, snapshotV2, profiles });
    }
    assert.ok(cases.length > 0, 'no conformance cases found');
    writeFileSync(join(work, 'cases.json'), JSON.stringify({ files, cases }));

    const denoDir = join(work, 'deno-dir');
    const testFiles = readdirSync(here).filter((f) => f.endsWith('_test.js')).sort().map((f) => relative(repo, join(here, f)));
    const args = ['test', '--no-config', '--no-lock', '--no-prompt', '--unstable-kv', '--allow-read',
      '--allow-net=127.0.0.1', '--allow-env', ...testFiles];
    console.log(`$ ${relative(repo, deno)} ${args.join(' ')}`);
    const code = await new Promise((resolveExit, reject) => {
      const child = spawn(deno, args, {
        cwd: repo,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PACKAGE_JSON: '1', NO_COLOR: '1',
          TAILOR_DENO_WORK: work, TAILOR_WASM: wasm },
      });
      child.on('error', reject);
      child.on('exit', (c, signal) => resolveExit(signal ? `signal ${signal}` : c));
    });
    assert.equal(code, 0, 'deno test failed (output above)');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
