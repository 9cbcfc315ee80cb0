// Shared by the publishing tests: snapshots of the `basics` conformance case built by this tree's
// CLI, key pairs, and the CLI run asynchronously (the servers under test answer in this process).
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const cli = resolve(process.env.TAILOR_CLI ?? join(repo, 'build/native/bin/tailor'));
if (!existsSync(cli)) throw new Error(`tailor CLI not found at ${cli}: scripts/build native`);

export const TENANT = JSON.parse(readFileSync(join(repo, 'tests/conformance/basics/tailor.json'), 'utf8')).tenant.id;

export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'tailor-publish-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');

// Builds basics as version `v` into dir/<v>.tsnap; returns {path, bytes}.
export function buildVersion(dir, v) {
  const path = join(dir, `${v}.tsnap`);
  execFileSync(cli, ['build', '--config', join(repo, 'tests/conformance/basics/tailor.json'), '--out', path, '--version', v],
    { stdio: 'pipe' });
  return { path, bytes: new Uint8Array(readFileSync(path)) };
}

export function keygen(dir, name) {
  execFileSync(cli, ['keygen', '--out', join(dir, 'keys', name)], { stdio: 'pipe' });
  return { key: join(dir, 'keys', `${name}.key`), pub: join(dir, 'keys', `${name}.pub`) };
}

export function sign(snapshot, key) {
  execFileSync(cli, ['sign', snapshot, '--key', key], { stdio: 'pipe' });
}

// Runs the CLI without blocking the event loop; resolves to {code, stdout, stderr, json}.
export function tailor(args, env = {}) {
  return new Promise((resolvePromise) => {
    execFile(cli, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      let json;
      try { json = JSON.parse(stdout); } catch { json = undefined; }
      resolvePromise({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr, json });
    });
  });
}
