// tailor-client.js: on-device personalization with the Emscripten build of Tailor.
//
//   import { createTailorClient } from '/tailor/tailor-client.js';
//   const client = await createTailorClient({ manifestUrl: 'https://cdn.example/northwind/manifest.json',
//                                             profileUrl: '/me/profile.tprof' });
//   (manifestUrl: a tree written by `tailor publish --to dir:`; or snapshotUrl: one .tsnap file)
//   publicKeys: the approvers' keys (`tailor keys --config tailor.json` prints them), with
//   requiredSignatures (default 1): the snapshot must be signed, else createTailorClient rejects
//   with TailorError signature_missing / signature_invalid / signature_insufficient / digest_mismatch
//   client.onDecision((decision) => render(decision));
//   client.decide({ site: 'us', user: { id }, slots: ['home'] });
//   client.track({ type: 'view', item: 'sku-7' });   // appends to the session and re-decides
//
// State kept on the device (in `storage`, localStorage by default, under `storageKey`):
//   <key>:session  {"started","last","events":[{type,item,ts}]} (a new session after `sessionTimeoutMs` idle)
//   <key>:profile  the visitor's .tprof bytes (base64), refreshed from `profileUrl` when it answers
//   <key>:request  the last request given to decide(), so track() can re-decide after a reload
// Re-ranking: every decide() (and every track()) asks the engine with `exclude` = the request's own
// exclude plus the items viewed this session (`excludeViewed: false` turns that off), capped at
// `maxExclude` most recent ids (the core refuses more than 1,000 ids).
import { loadEmscriptenEngine, TailorError } from './emscripten_host.js';
import { fetchPublishedSnapshot, verifySignedSnapshot } from './published.js';

export { TailorError };

const enc64 = (bytes) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
const dec64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function fetchBytes(url, what) {
  let res;
  try {
    res = await fetch(url, { credentials: 'same-origin' });
  } catch (err) {
    throw new TailorError('io_error', `fetching ${what} ${url}: ${err?.message ?? err}`);
  }
  if (!res.ok) throw new TailorError('io_error', `fetching ${what} ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

// One .tsnap file; with publicKeys its envelope (signatureUrl, default `<snapshotUrl>.sig.json`)
// must verify. A missing envelope (404) is `signature_missing`.
async function fetchSigned(snapshotUrl, signatureUrl, publicKeys, requiredSignatures) {
  if (publicKeys === undefined) return fetchBytes(snapshotUrl, 'snapshot');
  const sigUrl = signatureUrl ?? `${snapshotUrl}.sig.json`;
  const [bytes, signature] = await Promise.all([fetchBytes(snapshotUrl, 'snapshot'), fetch(sigUrl, { credentials: 'same-origin' })
    .then(async (r) => (r.ok ? r.text() : r.status === 404 ? null : Promise.reject(new Error(`HTTP ${r.status}`))))
    .catch((err) => { throw new TailorError('io_error', `fetching signature ${sigUrl}: ${err?.message ?? err}`); })]);
  await verifySignedSnapshot(bytes, { publicKeys, requiredSignatures, signature, what: `snapshot ${snapshotUrl}` });
  return bytes;
}

// A storage that never throws (private modes, quota, disabled cookies): falls back to memory.
function safeStorage(storage) {
  const mem = new Map();
  return {
    get(k) { try { const v = storage?.getItem(k); if (v != null) return v; } catch { /* fall through */ } return mem.get(k) ?? null; },
    set(k, v) { mem.set(k, v); try { storage?.setItem(k, v); } catch { /* memory only */ } },
    remove(k) { mem.delete(k); try { storage?.removeItem(k); } catch { /* ignore */ } },
  };
}

export async function createTailorClient({
  moduleUrl = '/tailor/tailor.mjs',
  wasmUrl,
  snapshotUrl,
  manifestUrl,
  signatureUrl,
  publicKeys,
  requiredSignatures,
  profileUrl,
  storage = globalThis.localStorage,
  storageKey = 'tailor',
  excludeViewed = true,
  maxExclude = 200,
  sessionTimeoutMs = 30 * 60 * 1000,
  now = () => Date.now(),
} = {}) {
  if (!snapshotUrl === !manifestUrl)
    throw new TailorError('invalid_argument', 'createTailorClient: give snapshotUrl or manifestUrl (one of them)');
  const store = safeStorage(storage);
  const K = { session: `${storageKey}:session`, profile: `${storageKey}:profile`, request: `${storageKey}:request` };

  // Module, snapshot and profile download in parallel; a failed profile download keeps the copy
  // already on the device (or none).
  const [engine, snapshot, freshProfile] = await Promise.all([
    loadEmscriptenEngine({ moduleUrl, wasmUrl }),
    manifestUrl ? fetchPublishedSnapshot(manifestUrl, { publicKeys, requiredSignatures }).then((p) => p.bytes)
      : fetchSigned(snapshotUrl, signatureUrl, publicKeys, requiredSignatures),
    profileUrl ? fetchBytes(profileUrl, 'profile').catch(() => null) : Promise.resolve(null),
  ]);
  engine.loadSnapshot(snapshot);

  let profile = null;
  if (freshProfile) {
    profile = freshProfile;
    store.set(K.profile, enc64(freshProfile));
  } else {
    const saved = store.get(K.profile);
    if (saved) { try { profile = dec64(saved); } catch { store.remove(K.profile); } }
  }

  const readJson = (k) => { try { return JSON.parse(store.get(k) ?? 'null'); } catch { return null; } };
  let session = readJson(K.session);
  if (!session || !Array.isArray(session.events) || now() - (session.last ?? 0) > sessionTimeoutMs) {
    session = { started: now(), last: now(), events: [] };
  }
  let lastRequest = readJson(K.request);
  const listeners = new Set();
  const saveSession = () => store.set(K.session, JSON.stringify(session));
  saveSession();

  const viewed = () => {
    const seen = new Set();
    const ids = [];
    for (let i = session.events.length - 1; i >= 0 && ids.length < maxExclude; i--) {
      const e = session.events[i];
      if (e.type === 'view' && typeof e.item === 'string' && !seen.has(e.item)) { seen.add(e.item); ids.push(e.item); }
    }
    return ids.reverse();
  };

  const withSession = (request) => {
    const req = typeof request === 'string' ? JSON.parse(request) : { ...request };
    if (excludeViewed) {
      const ids = viewed();
      if (ids.length) req.exclude = [...new Set([...(req.exclude ?? []), ...ids])];
    }
    return req;
  };

  const run = (request) => {
    const decision = engine.decide(withSession(request), profile ?? undefined);
    for (const cb of listeners) {
      try { cb(decision); } catch (err) { queueMicrotask(() => { throw err; }); }
    }
    return decision;
  };

  return {
    engine,
    get profile() { return profile; },
    get session() { return { ...session, events: session.events.slice() }; },
    get viewed() { return viewed(); },
    // Decides `request` (object or JSON text, docs/api.md) with the device's profile and session.
    decide(request) {
      lastRequest = typeof request === 'string' ? JSON.parse(request) : request;
      store.set(K.request, JSON.stringify(lastRequest));
      return run(lastRequest);
    },
    // Appends an event ({type:'view', item}) to the session; re-decides the last request (if any)
    // and returns that decision (listeners get it too), or null.
    track(event) {
      if (!event || typeof event.type !== 'string') throw new TailorError('invalid_argument', 'track: event needs a type');
      const t = now();
      if (t - session.last > sessionTimeoutMs) session = { started: t, last: t, events: [] };
      session.events.push({ type: event.type, item: event.item, ts: t });
      if (session.events.length > 4 * maxExclude) session.events.splice(0, session.events.length - 4 * maxExclude);
      session.last = t;
      saveSession();
      return lastRequest ? run(lastRequest) : null;
    },
    onDecision(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    // Forgets the session (and, with {profile:true}, the stored profile).
    reset({ profile: dropProfile = false } = {}) {
      session = { started: now(), last: now(), events: [] };
      saveSession();
      store.remove(K.request);
      lastRequest = null;
      if (dropProfile) { store.remove(K.profile); profile = null; }
    },
    dispose() { listeners.clear(); engine.dispose(); },
  };
}
