// The main job: the Cloudflare adapter in real workerd (Miniflare) with an on-disk local KV.
// Publishes the example snapshot and profiles into KV, asks the edge for each example visitor's
// decision over HTTP, checks the bytes against the native CLI, prints them, and with --serve keeps
// serving the storefront at http://127.0.0.1:8787 until interrupted.
//   node scripts/lib/edge-demo.mjs TAILOR_CLI TAILOR_WASM WORKDIR [--serve] [--port N]
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { renderDecision } from './show-decision.mjs';

const args = process.argv.slice(2);
const serve = args.includes('--serve');
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : 8787;
const [cli, wasmPath, work] = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--port').map((a) => resolve(a));

const repo = resolve(new URL('../..', import.meta.url).pathname);
let Miniflare;
try {
  ({ Miniflare } = await import(createRequire(join(repo, 'package.json')).resolve('miniflare')));
} catch {
  console.error('miniflare (real workerd) is not installed: run scripts/bootstrap (npm ci)');
  process.exit(1);
}
const { workerOptions } = await import(join(repo, 'edge-adapters/cloudflare/local.mjs'));
const { publish, userHash } = await import(join(repo, 'edge-adapters/cloudflare/publish.mjs'));

const config = JSON.parse(readFileSync(join(work, 'tailor.json'), 'utf8'));
const tenant = config.tenant.id;
const mf = new Miniflare(workerOptions({
  wasmPath,
  kvPersist: join(work, 'kv'),
  port: serve ? port : undefined,
  bindings: { TAILOR_DEFAULT_TENANT: tenant, TAILOR_SITE: 'us', TAILOR_DEMO: '1', TAILOR_CACHE_TTL_MS: '5000' },
}));
const url = await mf.ready;
const kv = await mf.getKVNamespace('TAILOR_KV');

// Publish: profiles first, then the snapshot chunks, the manifest last (the atomic switch).
const bytes = new Uint8Array(readFileSync(join(work, 'snapshot.tsnap')));
const profiles = new Map(readdirSync(join(work, 'profiles')).filter((f) => f.endsWith('.tprof'))
  .map((f) => [f.replace(/\.tprof$/, ''), new Uint8Array(readFileSync(join(work, 'profiles', f)))]));
const { manifest } = await publish(kv, tenant, { bytes, version: config.version, profiles });
await kv.put('page:/', readFileSync(join(repo, 'edge-adapters/cloudflare/demo/storefront.html'), 'utf8'));
console.log(`\npublished ${tenant} ${manifest.version} (${bytes.length} bytes, ${profiles.size} profiles) to the local edge's KV`);

let mismatches = 0;
for (const file of readdirSync(join(work, 'requests')).sort()) {
  const request = readFileSync(join(work, 'requests', file), 'utf8');
  const body = JSON.parse(request);
  const vid = body.user?.id;
  const cookie = `tailor_vid=${vid}` + (body.consent ? '' : '; tailor_consent=');
  const res = await mf.dispatchFetch('http://127.0.0.1/v1/decide', {
    method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: request });
  const edge = await res.text();
  if (res.status !== 200) throw new Error(`edge answered ${res.status}: ${edge}`);
  const profile = join(work, 'profiles', `${await userHash(tenant, vid)}.tprof`);
  const native = execFileSync(cli, ['decide', '--snapshot', join(work, 'snapshot.tsnap'),
    ...(existsSync(profile) ? ['--profile', profile] : [])], { input: request, encoding: 'utf8' }).trimEnd();
  const same = native === edge;
  if (!same) mismatches++;
  console.log(renderDecision(JSON.parse(edge), `visitor ${vid}: decided by the Worker in workerd (POST /v1/decide)`));
  console.log(`\n  workerd and native decisions: ${same ? 'byte-identical' : 'DIFFERENT'} (${edge.length} bytes)`);
}
if (mismatches) {
  console.error(`${mismatches} decision(s) differed between the edge and the native core`);
  await mf.dispose();
  process.exit(1);
}
if (!serve) {
  await mf.dispose();
  console.log('\nRun `scripts/demo --serve` to keep the local edge serving the storefront at http://127.0.0.1:8787');
} else {
  console.log(`\nThe local edge (workerd) serves the storefront at ${url.href.replace('localhost', '127.0.0.1')}`);
  console.log('Pick a visitor at the top of the page; Ctrl-C stops it.');
  const stop = async () => { await mf.dispose(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
