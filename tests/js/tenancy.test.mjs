// Multi-tenant isolation in the JS package: engines bound to a tenant (createEngine({tenant})) or
// loads "for" a tenant refuse another tenant's snapshot before activation, keep serving the
// previous one, and never read a profile or answer a request of another tenant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, TailorError } from '../../js/src/index.js';
import { basicsRequest, buildSnapshot, cli, newEngine, repo, tempDir, wasmModule } from './helpers.mjs';

const dir = tempDir();
const a = buildSnapshot('basics', join(dir, 'a.tsnap'));   // tenant conf-basics
const b = buildSnapshot('int8', join(dir, 'b.tsnap'));     // tenant conf-int8
const isCode = (code) => (e) => e instanceof TailorError && e.code === code;

// Profiles of the int8 case (tenant conf-int8), built by the CLI.
function profilesOf(name, snap) {
  const out = join(dir, `${name}-profiles`);
  execFileSync(cli, ['profiles', '--snapshot', snap, '--events', join(repo, 'tests/conformance', name, 'events.ndjson'),
    '--out', out], { stdio: 'pipe' });
  return readdirSync(out).filter((f) => f.endsWith('.tprof')).map((f) => new Uint8Array(readFileSync(join(out, f))));
}

test('loadSnapshot({tenant}) refuses another tenant with tenant_mismatch; the previous one keeps serving', async () => {
  const engine = await newEngine();
  await assert.rejects(engine.loadSnapshot(b, { tenant: 'conf-basics' }),
    (e) => isCode('tenant_mismatch')(e) && e.status === 13 && /conf-int8/.test(e.message));
  assert.equal(engine.snapshotInfo(), null);
  assert.equal((await engine.loadSnapshot(a, { tenant: 'conf-basics' })).tenant, 'conf-basics');
  await assert.rejects(engine.loadSnapshot(b, { tenant: 'conf-basics' }), isCode('tenant_mismatch'));
  assert.equal(engine.decide(basicsRequest).tenant, 'conf-basics');
  await assert.rejects(engine.loadSnapshot(a, { tenant: '' }), isCode('invalid_argument'));
});

test('an engine bound with createEngine({tenant}) checks every load against it', async () => {
  const engine = await createEngine({ module: wasmModule, tenant: 'conf-basics' });
  assert.equal(engine.tenant, 'conf-basics');
  await assert.rejects(engine.loadSnapshot(b), isCode('tenant_mismatch'));
  await engine.loadSnapshot(a);
  // Asking a bound engine to load for another tenant is refused before anything is read.
  await assert.rejects(engine.loadSnapshot(b, { tenant: 'conf-int8' }), isCode('tenant_mismatch'));
  assert.equal(engine.snapshotInfo().tenant, 'conf-basics');
  await assert.rejects(createEngine({ module: wasmModule, tenant: 7 }), isCode('invalid_argument'));
});

test('requests naming another tenant and profiles of another tenant are refused', async () => {
  const engine = await createEngine({ module: wasmModule, tenant: 'conf-basics' });
  await engine.loadSnapshot(a);
  assert.throws(() => engine.decide({ ...basicsRequest, tenant: 'conf-int8' }), isCode('invalid_argument'));
  const foreign = profilesOf('int8', join(dir, 'b.tsnap'));
  assert.ok(foreign.length > 0);
  for (const p of foreign)
    assert.throws(() => engine.decide(basicsRequest, { profile: p }), (e) => isCode('tenant_mismatch')(e) && /conf-int8/.test(e.message));
  const own = profilesOf('basics', join(dir, 'a.tsnap'));
  assert.equal(engine.decide({ ...basicsRequest, consent: ['personalization'] }, { profile: own[0] }).personalized, true);
});
