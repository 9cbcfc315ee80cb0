#!/usr/bin/env node
// Decides every conformance vector inside Fastly's JS runtime without Viceroy: builds the
// vectors' snapshots/profiles with the native CLI into .selftest/ (gitignored), then runs
// js-compute-runtime on scripts/selftest-entry.js, whose top level (run by Wizer at build time)
// decides them all and throws on a mismatch. Needs `npm install` here and scripts/wasm2js.mjs.
// Usage (from edge-adapters/fastly): node scripts/selftest.mjs   (env TAILOR_CLI)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCaseProfiles } from '../../../tests/conformance/profiles.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const cli = resolve(process.env.TAILOR_CLI ?? join(repo, 'build/native/bin/tailor'));
// Wizer lets the initialising code read only below the build's working directory (this app's
// folder), so everything the entry reads is copied to .selftest/ here (fixed: the entry names it).
const app = resolve(here, '..');
const work = join(app, '.selftest');
const rel = (p) => relative(app, p);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const confDir = join(repo, 'tests/conformance');
const cases = [];
for (const name of readdirSync(confDir).sort()) {
  const caseDir = join(confDir, name);
  if (!existsSync(join(caseDir, 'tailor.json'))) continue;
  const tenant = JSON.parse(readFileSync(join(caseDir, 'tailor.json'), 'utf8')).tenant.id;
  const snapshot = join(work, `${name}.tsnap`);
  execFileSync(cli, ['build', '--config', join(caseDir, 'tailor.json'), '--out', snapshot], { stdio: 'pipe' });
  const profiles = join(work, name);
  mkdirSync(profiles);
  buildCaseProfiles(cli, caseDir, snapshot, profiles);
  const dir = join(caseDir, 'vectors');
  const vectors = readdirSync(dir).filter((f) => f.endsWith('.request.json')).sort().map((f) => {
    const v = f.replace(/\.request\.json$/, '');
    let userId = null;
    try { userId = JSON.parse(readFileSync(join(dir, f), 'utf8'))?.user?.id ?? null; } catch {}
    const hash = userId && createHash('sha256').update(`${tenant}:${userId}`).digest('hex').slice(0, 32);
    const profile = hash && existsSync(join(profiles, `${hash}.tprof`)) ? join(profiles, `${hash}.tprof`) : null;
    const error = existsSync(join(dir, `${v}.error`)) ? readFileSync(join(dir, `${v}.error`), 'utf8').trim() : null;
    const vdir = join(work, name, 'vectors');
    mkdirSync(vdir, { recursive: true });
    copyFileSync(join(dir, f), join(vdir, f));
    if (!error) copyFileSync(join(dir, `${v}.expected.json`), join(vdir, `${v}.expected.json`));
    return { name: v, request: rel(join(vdir, f)), expected: error ? null : rel(join(vdir, `${v}.expected.json`)), error,
      profile: profile && rel(profile) };
  });
  cases.push({ name, snapshot: rel(snapshot), vectors });
}
writeFileSync(join(work, 'plan.json'), JSON.stringify({ cases }));
const runtime = join(here, '../node_modules/.bin/js-compute-runtime');
if (!existsSync(runtime)) throw new Error(`${runtime} not found: npm install in edge-adapters/fastly`);
const out = execFileSync(runtime, ['--enable-experimental-top-level-await', join(here, 'selftest-entry.js'), join(work, 'selftest.wasm')],
  { cwd: join(here, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
process.stdout.write(out);
rmSync(work, { recursive: true, force: true });
if (!/SELFTEST OK/.test(out)) throw new Error('selftest printed no SELFTEST OK line');
