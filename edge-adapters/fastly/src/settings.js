// The Fastly adapter's settings from its Config Store `tailor_config` (get: key => string | undefined),
// checked before the handler is built. Kept apart from index.js (which imports fastly:* modules)
// so that tests can run it in Node.
import { parsePublicKeys, parseRequiredSignatures } from '../../../js/src/index.js';

export const CONFIG_NAME = 'tailor_config';

export function fastlySettings(get) {
  const tenant = get('tenant');
  if (!tenant) throw new Error(`config store ${CONFIG_NAME}: key "tenant" is not set`);
  return {
    tenant,
    publicKeys: parsePublicKeys(get('public_keys'), `config store ${CONFIG_NAME}: public_keys`),
    requiredSignatures: parseRequiredSignatures(get('required_signatures'), `config store ${CONFIG_NAME}: required_signatures`),
    site: get('site'),
    ttlMs: Number(get('ttl_ms') ?? 60_000),
  };
}
