// Every conformance vector (tests/conformance/<case>/vectors) decided through the JS package:
// the same bytes as the native CLI, and the same error codes as TailorError.code.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TailorError } from '../../js/src/index.js';
import { buildCaseProfiles } from '../conformance/profiles.mjs';
import { buildSnapshot, cli, newEngine, repo, tempDir } from './helpers.mjs';

const casesDir = join(repo, 'tests/conformance');
const cases = readdirSync(casesDir).filter((n) => existsSync(join(casesDir, n, 'tailor.json'))).sort();
assert.ok(cases.length > 0, 'no conformance cases found');

for (const name of cases) {
  const caseDir = join(casesDir, name);
  const tenant = JSON.parse(readFileSync(join(caseDir, 'tailor.json'), 'utf8')).tenant.id;
  let engine, profiles;

  describe(name, () => {
    before(async () => {
      const work = tempDir();
      profiles = join(work, 'profiles');
      const snapshot = buildSnapshot(name, join(work, 'snapshot.tsnap'));
      buildCaseProfiles(cli, caseDir, join(work, 'snapshot.tsnap'), profiles);
      engine = await newEngine();
      await engine.loadSnapshot(snapshot);
    });

    // A visitor's profile file: first 32 hex of sha256(tenant + ':' + user id).
    const profileFor = (request) => {
      let id;
      try { id = JSON.parse(request)?.user?.id; } catch { return undefined; }
      if (!id) return undefined;
      const hash = createHash('sha256').update(`${tenant}:${id}`).digest('hex').slice(0, 32);
      const file = join(profiles, `${hash}.tprof`);
      return existsSync(file) ? new Uint8Array(readFileSync(file)) : undefined;
    };

    const vectors = join(caseDir, 'vectors');
    for (const f of readdirSync(vectors).filter((n) => n.endsWith('.request.json')).sort()) {
      const vector = f.replace(/\.request\.json$/, '');
      test(vector, () => {
        const request = readFileSync(join(vectors, f), 'utf8');
        const profile = profileFor(request);
        const errorFile = join(vectors, `${vector}.error`);
        if (existsSync(errorFile)) {
          const code = readFileSync(errorFile, 'utf8').trim();
          assert.throws(() => engine.decideRaw(request, { profile }), (e) => e instanceof TailorError && e.code === code);
          return;
        }
        const expected = readFileSync(join(vectors, `${vector}.expected.json`), 'utf8').replace(/\n$/, '');
        assert.equal(engine.decideRaw(request, { profile }), expected);
        assert.deepEqual(engine.decide(request, { profile }), JSON.parse(expected));
      });
    }
  });
}
