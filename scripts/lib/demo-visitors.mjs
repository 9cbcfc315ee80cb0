// Decides every example visitor's request natively and through tailor.wasm (node:wasi), checks
// that both give the same bytes, and prints the decision with its explanation.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWasiEngine } from '../../tests/conformance/wasi_engine.mjs';
import { renderDecision } from './show-decision.mjs';

const [cli, wasmPath, work] = process.argv.slice(2);
const config = JSON.parse(readFileSync(join(work, 'tailor.json'), 'utf8'));
const snapshot = join(work, 'snapshot.tsnap');
const wasm = await loadWasiEngine(wasmPath);
wasm.loadSnapshot(readFileSync(snapshot));

let mismatches = 0;
for (const file of readdirSync(join(work, 'requests')).sort()) {
  const request = readFileSync(join(work, 'requests', file), 'utf8');
  const user = JSON.parse(request).user?.id;
  const hash = user ? createHash('sha256').update(`${config.tenant.id}:${user}`).digest('hex').slice(0, 32) : '';
  const profile = hash && existsSync(join(work, 'profiles', `${hash}.tprof`)) ? join(work, 'profiles', `${hash}.tprof`) : '';
  const args = ['decide', '--snapshot', snapshot, ...(profile ? ['--profile', profile] : [])];
  const native = execFileSync(cli, args, { input: request, encoding: 'utf8' }).trimEnd();
  const edge = wasm.decide(request, profile ? readFileSync(profile) : new Uint8Array());
  const same = native === edge;
  if (!same) mismatches++;
  console.log(renderDecision(JSON.parse(native), `visitor ${user ?? file} (${profile ? 'profile ' + hash.slice(0, 8) : 'no profile'})`));
  console.log(`\n  native and tailor.wasm decisions: ${same ? 'byte-identical' : 'DIFFERENT'} (${native.length} bytes)`);
}
if (mismatches) {
  console.error(`${mismatches} decision(s) differed between native and wasm`);
  process.exit(1);
}
