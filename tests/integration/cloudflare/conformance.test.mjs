// Every conformance vector (tests/conformance/*/vectors) decided by the Worker in real workerd
// through POST /v1/decide must give exactly the expected bytes, or the expected error code with a
// 400. Two tenants share one Worker (host → tenant through TAILOR_TENANTS), each with its own
// engine; profiles come from KV, found through the tailor_vid cookie (= the vector's user.id).
// The Worker adds `context` (device, country) to every request: the core ignores it, which the
// byte equality proves. Vectors without `now` get the snapshot's built_at (what the core defaults
// to), because the Worker fills `now` from the clock when the body has none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildCase, caseConfig, caseDir, decide, publishProfiles, publishSnapshot, repo, startWorker, tempDir } from './helpers.mjs';

const cases = readdirSync(join(repo, 'tests/conformance'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(caseDir(d.name), 'tailor.json'))).map((d) => d.name).sort();
const hosts = Object.fromEntries(cases.map((c) => [`${c}.example.test`, caseConfig(c).tenant.id]));

let worker;
const built = new Map();
before(async () => {
  const dir = tempDir();
  worker = await startWorker({ TAILOR_TENANTS: JSON.stringify(hosts) });
  for (const c of cases) {
    const b = buildCase(c, dir);
    built.set(c, b);
    const tenant = caseConfig(c).tenant.id;
    await publishProfiles(worker.kv, tenant, b.profiles);
    await publishSnapshot(worker.kv, tenant, b.bytes, { version: b.info.version });
  }
});
after(() => worker?.dispose());

test('there are conformance vectors to run', () => {
  assert.ok(cases.length >= 2, `cases: ${cases}`);
});

for (const c of cases) {
  const vectors = join(caseDir(c), 'vectors');
  const tenant = caseConfig(c).tenant.id;
  for (const f of readdirSync(vectors).filter((n) => n.endsWith('.request.json')).sort()) {
    const name = f.replace(/\.request\.json$/, '');
    test(`${c}/${name} [workerd]`, async () => {
      const text = readFileSync(join(vectors, f), 'utf8');
      let body = text;
      let cookie;
      let parsed;
      try { parsed = JSON.parse(text); } catch { parsed = undefined; }
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        parsed.tenant ??= tenant;
        parsed.now ??= built.get(c).info.built_at;
        if (parsed.user?.id) cookie = `tailor_vid=${parsed.user.id}`;
        body = JSON.stringify(parsed);
      }
      const r = await decide(worker.mf, `${c}.example.test`, body, { cookie });
      const errorPath = join(vectors, `${name}.error`);
      if (existsSync(errorPath)) {
        const code = readFileSync(errorPath, 'utf8').trim();
        assert.equal(r.status, 400, r.text);
        assert.equal(r.headers.get('content-type'), 'application/json');
        assert.equal(r.json?.error?.code, code, r.text);
        assert.equal(typeof r.json.error.message, 'string');
      } else {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get('content-type'), 'application/json');
        assert.equal(r.text, readFileSync(join(vectors, `${name}.expected.json`), 'utf8').replace(/\n$/, ''));
      }
      // A visitor that brought its id keeps it; one without gets a new one.
      assert.equal(r.headers.get('set-cookie') === null, cookie !== undefined);
    });
  }
}
