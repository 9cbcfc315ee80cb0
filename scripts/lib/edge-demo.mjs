// The main job: the Cloudflare adapter in real workerd (Miniflare) with an on-disk local KV.
// Starts the local edge and its publishing API (the Cloudflare KV API subset on loopback, over the
// Worker's own KV), publishes the example snapshot and profiles with `tailor publish --to local`,
// asks the edge for each example visitor's decision over HTTP, checks the bytes against the native
// CLI, prints them, and with --serve keeps serving the storefront at http://127.0.0.1:8787 (and
// the publishing API at http://127.0.0.1:8788, for `tailor publish`/`tailor rollback`) until
// interrupted.
//   node scripts/lib/edge-demo.mjs TAILOR_CLI TAILOR_WASM WORKDIR [--serve] [--port N]
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
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
const { startLocalEdgeApi, workerOptions } = await import(join(repo, 'edge-adapters/cloudflare/local.mjs'));
const { userHash } = await import(join(repo, 'edge-adapters/cloudflare/publish.mjs'));

const config = JSON.parse(readFileSync(join(work, 'tailor.json'), 'utf8'));
const tenant = config.tenant.id;
// Each demo run starts from an empty local edge (a published version name never changes its bytes,
// and a rebuilt tree may build other bytes under the example's fixed version).
rmSync(join(work, 'kv'), { recursive: true, force: true });
const mf = new Miniflare(workerOptions({
  wasmPath,
  kvPersist: join(work, 'kv'),
  port: serve ? port : undefined,
  bindings: { TAILOR_DEFAULT_TENANT: tenant, TAILOR_SITE: 'us', TAILOR_DEMO: '1', TAILOR_CACHE_TTL_MS: '5000' },
}));
const url = await mf.ready;
const kv = await mf.getKVNamespace('TAILOR_KV');
const api = await startLocalEdgeApi(mf, { port: serve ? port + 1 : 0 });

// Publish through the CLI: profiles first, then the snapshot chunks, read back, the manifest last
// (the atomic switch). The summary line goes to stderr, the JSON report to stdout.
const snapshotPath = join(work, 'snapshot.tsnap');
const published = await promisify(execFile)(cli, ['publish', snapshotPath, '--to', `local:${api.url}`,
  '--profiles', join(work, 'profiles'), '--json'], { encoding: 'utf8' }).catch((e) => {
  console.error(e.stderr || e.message);
  process.exit(1);
});
const report = JSON.parse(published.stdout);
process.stderr.write(`\n${published.stderr}`);
await kv.put('page:/', readFileSync(join(repo, 'edge-adapters/cloudflare/demo/storefront.html'), 'utf8'));
console.log(`published ${tenant} ${report.version} (${report.bytes} bytes, ${report.profiles} profiles) to the local edge with \`tailor publish --to local:${api.url}\``);

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
  const native = execFileSync(cli, ['decide', '--snapshot', snapshotPath,
    ...(existsSync(profile) ? ['--profile', profile] : [])], { input: request, encoding: 'utf8' }).trimEnd();
  const same = native === edge;
  if (!same) mismatches++;
  const servedVersion = JSON.parse(edge).snapshot?.version;
  if (servedVersion !== report.version) {
    console.error(`the edge served version ${servedVersion}, tailor publish made ${report.version} live`);
    mismatches++;
  }
  console.log(renderDecision(JSON.parse(edge), `visitor ${vid}: decided by the Worker in workerd (POST /v1/decide)`));
  console.log(`\n  workerd and native decisions: ${same ? 'byte-identical' : 'DIFFERENT'} (${edge.length} bytes)`);
}
if (mismatches) {
  console.error(`${mismatches} decision(s) differed between the edge and the native core`);
  await api.close();
  await mf.dispose();
  process.exit(1);
}
if (!serve) {
  await api.close();
  await mf.dispose();
  console.log('\nRun `scripts/demo --serve` to keep the local edge serving the storefront at http://127.0.0.1:8787');
} else {
  console.log(`\nThe local edge (workerd) serves the storefront at ${url.href.replace('localhost', '127.0.0.1')}`);
  console.log(`Its publishing API is at ${api.url}: \`${cli} publish SNAPSHOT --to local:${api.url}\`, \`tailor rollback --to local:${api.url} --tenant ${tenant} --list\``);
  console.log('Pick a visitor at the top of the page; Ctrl-C stops it.');
  const stop = async () => { await api.close(); await mf.dispose(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
