// Builds a conformance case's visitor profiles with the native CLI: `tailor profiles` over the
// case's events.ndjson, plus its profile traits when its tailor.json declares a profile_traits
// source (docs/profiles.md#traits). Every runtime's harness uses this, so all of them decide on
// the same profile bytes.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Writes the profiles of the case in `caseDir` into `out` for `snapshot`. Returns false, writing
// nothing, when the case has no events.
export function buildCaseProfiles(cli, caseDir, snapshot, out) {
  const events = join(caseDir, 'events.ndjson');
  if (!existsSync(events)) return false;
  const configPath = join(caseDir, 'tailor.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  const traits = config.profile_traits ? ['--traits', `${configPath}#profile_traits`] : [];
  execFileSync(cli, ['profiles', '--snapshot', snapshot, '--events', events, ...traits, '--out', out], { stdio: 'pipe' });
  return true;
}
