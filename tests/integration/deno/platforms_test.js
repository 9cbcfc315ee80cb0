// The platform entries: deno_deploy.js (snapshots from static files, and from Deno KV, chunked
// and signed) and netlify_edge.js (its default export with Netlify's (request, context)
// signature, Netlify.env, tailor.wasm/snapshot/profiles fetched from an origin on loopback).
import { createDeployHandler, putSnapshot } from '../../../edge-adapters/deno/deno_deploy.js';
import { userHash } from '../../../edge-adapters/deno/handler.js';
import { assert, assertEquals, cases, envelope, newSigner, profileFor, serve, userIdOf, vectorsOf, wasmPath } from './common.js';

const basics = cases.find((c) => c.name === 'basics');
// Vectors the platform entries must answer byte-identically: they carry `now` (the entries use
// the real clock) and, for half of them, a visitor with a profile.
const vectors = [];
for (const v of vectorsOf(basics)) {
  if (v.error || !JSON.parse(v.request).now) continue;
  vectors.push({ ...v, uid: userIdOf(v.request), hasProfile: !!(await profileFor(basics, userIdOf(v.request))) });
}
assert(vectors.some((v) => v.hasProfile), 'a basics vector with a profile');
const envOf = (vars) => (k) => vars[k];

async function assertVectors(url, label) {
  for (const v of vectors) {
    const res = await fetch(`${url}/v1/decide`, { method: 'POST', body: v.request,
      headers: v.uid ? { cookie: `tailor_vid=${v.uid}` } : {} });
    assertEquals(await res.text(), v.expected, `${label}: ${v.name}`);
    assertEquals(res.status, 200, `${label}: ${v.name} status`);
  }
}

Deno.test('deno_deploy.js: TAILOR_SOURCE=files serves <dir>/<tenant>.tsnap and profiles/<tenant>/<hash>.tprof', async () => {
  const handler = await createDeployHandler(envOf({ TAILOR_TENANT: basics.tenant, TAILOR_SOURCE: 'files',
    TAILOR_DIR: Deno.env.get('TAILOR_DENO_WORK') + '/files', TAILOR_WASM: wasmPath }));
  const server = serve(handler);
  try {
    await assertVectors(server.url, 'files');
  } finally {
    await server.close();
  }
});

Deno.test('deno_deploy.js: TAILOR_SOURCE=kv reads a chunked, signed snapshot and profiles from Deno KV', async () => {
  const kv = await Deno.openKv(':memory:');
  try {
    const alice = await newSigner();
    const bytes = await Deno.readFile(basics.snapshot);
    await putSnapshot(kv, basics.tenant, 'v1', bytes, await envelope(bytes, [alice]), { chunkBytes: 256 });
    assert(Math.ceil(bytes.length / 256) > 8, `several atomic batches of chunks (${bytes.length} bytes)`);
    for (const v of vectors) {
      const p = await profileFor(basics, v.uid);
      if (!p) continue;
      await kv.set(['tailor', basics.tenant, 'profile', await userHash(basics.tenant, v.uid)], p);
    }
    const vars = { TAILOR_TENANT: basics.tenant, TAILOR_SOURCE: 'kv', TAILOR_WASM: wasmPath,
      TAILOR_PUBLIC_KEYS: btoa(String.fromCharCode(...alice.raw)) };
    const server = serve(await createDeployHandler(envOf(vars), { kv }));
    try {
      await assertVectors(server.url, 'kv');
    } finally {
      await server.close();
    }

    // The same KV with a key that did not sign: refused.
    const mallory = await newSigner();
    const refused = serve(await createDeployHandler(envOf({ ...vars, TAILOR_PUBLIC_KEYS: btoa(String.fromCharCode(...mallory.raw)) }), { kv }));
    try {
      const res = await fetch(`${refused.url}/v1/decide`, { method: 'POST', body: vectors[0].request });
      assertEquals(`${res.status} ${JSON.parse(await res.text()).error.code}`, '500 signature_invalid', 'untrusted signer');
    } finally {
      await refused.close();
    }

    // An empty KV: 503.
    const empty = await Deno.openKv(':memory:');
    const none = serve(await createDeployHandler(envOf({ ...vars, TAILOR_PUBLIC_KEYS: undefined }), { kv: empty }));
    try {
      const res = await fetch(`${none.url}/v1/decide`, { method: 'POST', body: vectors[0].request });
      assertEquals(`${res.status} ${JSON.parse(await res.text()).error.code}`, '503 no_snapshot', 'no snapshot in KV');
    } finally {
      await none.close();
      empty.close();
    }
  } finally {
    kv.close();
  }
});

Deno.test('netlify_edge.js: default export (request, context) with Netlify.env, geo and an origin on loopback', async () => {
  const token = 'secret-token';
  const requests = [];
  const origin = serve(async (req) => {
    const path = new URL(req.url).pathname;
    requests.push(path);
    if (path === '/tailor.wasm') return new Response(await Deno.readFile(wasmPath), { headers: { 'content-type': 'application/wasm' } });
    if (req.headers.get('authorization') !== `Bearer ${token}`) return new Response('no', { status: 401 });
    if (path === `/snap/${basics.tenant}.tsnap`) return new Response(await Deno.readFile(basics.snapshot));
    const m = new RegExp(`^/prof/${basics.tenant}/([0-9a-f]{32})\\.tprof$`).exec(path);
    if (m) {
      try { return new Response(await Deno.readFile(`${basics.profiles}/${m[1]}.tprof`)); } catch { /* 404 below */ }
    }
    return new Response('not found', { status: 404 });
  });
  const vars = { TAILOR_TENANT: basics.tenant, TAILOR_SNAPSHOT_URL: `${origin.url}/snap/`, TAILOR_PROFILE_URL: `${origin.url}/prof`,
    TAILOR_ORIGIN_TOKEN: token, TAILOR_WASM_URL: `${origin.url}/tailor.wasm` };
  const hadNetlify = 'Netlify' in globalThis;
  globalThis.Netlify = { env: { get: (k) => vars[k] } };
  try {
    const { default: edge, config } = await import('../../../edge-adapters/deno/netlify_edge.js');
    assertEquals(config.path, '/v1/decide', 'config.path');
    const context = { geo: { country: { code: 'DE' } }, waitUntil: () => {} };
    for (const v of vectors) {
      const res = await edge(new Request('https://shop.example/v1/decide', { method: 'POST', body: v.request,
        headers: v.uid ? { cookie: `tailor_vid=${v.uid}` } : {} }), context);
      assertEquals(await res.text(), v.expected, `netlify: ${v.name}`);
    }
    const fresh = await edge(new Request('https://shop.example/v1/decide', { method: 'POST', body: vectors[0].request }), context);
    await fresh.body.cancel();
    assert(/^tailor_vid=[0-9a-f-]{36}; Path=\/; Max-Age=31536000; HttpOnly; Secure; SameSite=Lax$/.test(fresh.headers.get('set-cookie')), 'cookie');
    assertEquals(requests.filter((p) => p === '/tailor.wasm').length, 1, 'tailor.wasm fetched and compiled once');
    assert(requests.some((p) => p.startsWith('/prof/')), 'profiles fetched from the origin');
  } finally {
    if (hadNetlify) { /* leave it */ } else delete globalThis.Netlify;
    await origin.close();
  }
});
