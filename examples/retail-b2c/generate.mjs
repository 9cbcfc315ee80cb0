#!/usr/bin/env node
// Generates the "northwind-outfitters" example tenant: an outdoor and apparel store with a US (USD)
// and an EU (EUR) site. Writes categories.json, items.csv, tailor.json, events.ndjson and
// requests/<visitor>.json into the output directory (default: data/ beside this script).
//
//   node examples/retail-b2c/generate.mjs [outdir]
//
// Deterministic: every random choice comes from seeded mulberry32 streams (never Math.random),
// so two runs write byte-identical files. Plain Node 20, no dependencies.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'data'));
const TENANT = 'northwind-outfitters';
const utc = (y, m, d, h = 0) => Date.UTC(y, m - 1, d, h) / 1000;
const BUILT_AT = utc(2026, 11, 1);        // 2026-11-01T00:00:00Z, also the catalog's "today"
const CATALOG_START = utc(2024, 11, 1);   // items were published over the two years before
const OCT = utc(2026, 10, 1);             // every event happens in October 2026
const NOW = utc(2026, 11, 5);             // the requests' clock: 2026-11-05T00:00:00Z
const DAY = 86400;
const ITEM_COUNT = 3000;
const DIM = 16;

// ---------- seeded randomness ----------
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// One independent stream per concern (FNV-1a of its label), so changing one part of the
// generator does not reshuffle the others.
function stream(label) {
  let h = 0x811c9dc5;
  for (const ch of `${TENANT}/${label}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  const r = mulberry32(h);
  const s = {
    next: r,
    int: (lo, hi) => lo + Math.floor(r() * (hi - lo + 1)),
    chance: (p) => r() < p,
    pick: (a) => a[Math.floor(r() * a.length)],
    normal: () => (r() + r() + r() + r() - 2) * Math.sqrt(3), // Irwin–Hall: mean 0, sd 1
    weighted(list, weightOf) {
      let total = 0;
      for (const x of list) total += weightOf(x);
      let u = r() * total;
      for (const x of list) if ((u -= weightOf(x)) < 0) return x;
      return list[list.length - 1];
    },
    shuffle(a) {
      const b = [...a];
      for (let i = b.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [b[i], b[j]] = [b[j], b[i]];
      }
      return b;
    },
  };
  return s;
}

// ---------- catalog vocabulary ----------
const PARENTS = { footwear: 'Footwear', apparel: 'Apparel', camping: 'Camping', climbing: 'Climbing',
  cycling: 'Cycling', accessories: 'Accessories' };
// leaf id: [parent, name, item count, min price, max price, nouns, materials, P(waterproof), P(ultralight)]
const LEAVES = {
  'trail-running-shoes': ['footwear', 'Trail Running Shoes', 260, 89, 189, ['Trail Runner', 'Trail Shoe', 'Fell Racer', 'Sky Runner'], ['mesh', 'synthetic', 'recycled-mesh'], 0.25, 0.3],
  'hiking-boots': ['footwear', 'Hiking Boots', 230, 119, 289, ['Hiking Boot', 'Mid Boot', 'Trek Boot', 'Backpacking Boot'], ['leather', 'nubuck', 'synthetic'], 0.6, 0.1],
  sandals: ['footwear', 'Sandals', 110, 39, 119, ['Sport Sandal', 'Trail Sandal', 'Slide', 'River Sandal'], ['synthetic', 'rubber', 'recycled-polyester'], 0, 0.2],
  jackets: ['apparel', 'Jackets', 300, 119, 449, ['Shell Jacket', 'Rain Jacket', 'Down Jacket', 'Insulated Jacket', 'Softshell Jacket'], ['gore-tex', 'nylon', 'down', 'polyester', 'softshell'], 0.55, 0.2],
  fleece: ['apparel', 'Fleece', 200, 49, 149, ['Fleece Jacket', 'Grid Fleece', 'Fleece Hoodie', 'Quarter-Zip Fleece'], ['polyester', 'recycled-polyester', 'polartec'], 0, 0.1],
  'base-layers': ['apparel', 'Base Layers', 220, 39, 119, ['Base Layer Top', 'Base Layer Tights', 'Crew Base Layer', 'Zip-Neck Base Layer'], ['merino', 'polyester', 'merino-blend'], 0, 0.25],
  't-shirts': ['apparel', 'T-Shirts', 270, 19, 49, ['Tee', 'Trail Tee', 'Graphic Tee', 'Tech Tee'], ['cotton', 'organic-cotton', 'polyester', 'merino'], 0, 0.1],
  pants: ['apparel', 'Pants', 200, 59, 179, ['Hiking Pant', 'Trek Pant', 'Convertible Pant', 'Rain Pant'], ['nylon', 'softshell', 'polyester', 'cotton-blend'], 0.2, 0.1],
  tents: ['camping', 'Tents', 140, 149, 699, ['2P Tent', '3P Tent', 'Backpacking Tent', 'Dome Tent', 'Tunnel Tent'], ['nylon', 'polyester', 'silnylon', 'dyneema'], 0.7, 0.3],
  'sleeping-bags': ['camping', 'Sleeping Bags', 130, 89, 499, ['Down Bag', 'Synthetic Bag', 'Mummy Bag', 'Quilt'], ['down', 'synthetic', 'recycled-polyester'], 0.1, 0.35],
  stoves: ['camping', 'Stoves', 70, 39, 199, ['Canister Stove', 'Stove System', 'Multi-Fuel Stove', 'Camp Stove'], ['aluminium', 'titanium', 'steel'], 0, 0.3],
  'sleeping-pads': ['camping', 'Sleeping Pads', 90, 39, 199, ['Air Pad', 'Foam Pad', 'Self-Inflating Pad', 'Insulated Pad'], ['nylon', 'foam', 'polyester'], 0, 0.35],
  harnesses: ['climbing', 'Harnesses', 60, 49, 159, ['Harness', 'Sport Harness', 'Alpine Harness'], ['nylon', 'polyester', 'dyneema'], 0, 0.3],
  ropes: ['climbing', 'Ropes', 50, 119, 349, ['Dynamic Rope', 'Single Rope', 'Half Rope'], ['nylon'], 0.3, 0.1],
  'climbing-shoes': ['climbing', 'Climbing Shoes', 80, 79, 199, ['Climbing Shoe', 'Bouldering Shoe', 'Crack Shoe'], ['leather', 'synthetic'], 0, 0],
  helmets: ['cycling', 'Helmets', 70, 49, 249, ['Road Helmet', 'MTB Helmet', 'Commuter Helmet'], ['polycarbonate', 'eps'], 0, 0.3],
  'cycling-jerseys': ['cycling', 'Cycling Jerseys', 130, 49, 159, ['Jersey', 'Race Jersey', 'Trail Jersey'], ['polyester', 'merino', 'recycled-polyester'], 0, 0.2],
  backpacks: ['accessories', 'Backpacks', 210, 49, 299, ['Daypack', 'Backpack', 'Hydration Pack', 'Travel Pack'], ['nylon', 'polyester', 'cordura', 'recycled-nylon'], 0.2, 0.25],
  headlamps: ['accessories', 'Headlamps', 80, 19, 129, ['Headlamp', 'Rechargeable Headlamp'], ['plastic', 'aluminium'], 0.4, 0.3],
  'water-bottles': ['accessories', 'Water Bottles', 100, 12, 49, ['Bottle', 'Insulated Bottle', 'Soft Flask'], ['steel', 'tritan', 'tpu'], 0, 0.2],
};
// brand id: [display name, leaf categories it makes]
const BRANDS = {
  ridgeline: ['Ridgeline', ['jackets', 'fleece', 'pants', 'backpacks']],
  kestrel: ['Kestrel', ['trail-running-shoes', 'base-layers', 't-shirts', 'cycling-jerseys', 'water-bottles']],
  switchback: ['Switchback', ['trail-running-shoes', 'base-layers', 'pants', 't-shirts']],
  fjellstrom: ['Fjellström', ['jackets', 'fleece', 'base-layers', 'sleeping-bags', 'tents']],
  'granite-peak': ['Granite Peak', ['hiking-boots', 'climbing-shoes', 'harnesses', 'ropes']],
  tidewater: ['Tidewater', ['sandals', 't-shirts', 'water-bottles', 'backpacks']],
  emberline: ['Emberline', ['stoves', 'headlamps', 'sleeping-pads']],
  'basecamp-supply': ['Basecamp Supply', ['tents', 'sleeping-bags', 'sleeping-pads', 'stoves', 'backpacks']],
  velotrail: ['Velotrail', ['helmets', 'cycling-jerseys', 'water-bottles', 'backpacks']],
  alpenglow: ['Alpenglow', ['jackets', 'base-layers', 'fleece', 'sleeping-bags']],
  cairn: ['Cairn', ['hiking-boots', 'trail-running-shoes', 'sandals', 'pants']],
  cragline: ['Cragline', ['climbing-shoes', 'harnesses', 'ropes', 'headlamps', 'helmets']],
};
const MODELS = ['Swift', 'Alpine', 'Storm', 'Summit', 'Ridge', 'Vista', 'Tempo', 'Glacier', 'Canyon', 'Boreal',
  'Drift', 'Talus', 'Scree', 'Cirrus', 'Nimbus', 'Aspen', 'Juniper', 'Sierra', 'Cascade', 'Pioneer', 'Horizon',
  'Vector', 'Apex', 'Nomad', 'Solstice', 'Tundra', 'Mesa', 'Flint', 'Kinetic', 'Halcyon'];
const SUFFIXES = ['', '', '', ' 2', ' 3', ' Pro', ' Lite', ' LT', ' Plus'];
const COLORS = ['black', 'navy', 'olive', 'red', 'orange', 'grey', 'sand', 'teal', 'white', 'blue', 'green', 'yellow'];
const GENDERED = new Set(['footwear', 'apparel']);
const TAG_ORDER = ['sale', 'clearance-final', 'new', 'bestseller', 'eco', 'waterproof', 'ultralight'];

for (const [leaf, [parent]] of Object.entries(LEAVES)) {
  if (!PARENTS[parent]) throw new Error(`leaf ${leaf}: unknown parent ${parent}`);
  if (!Object.values(BRANDS).some(([, cats]) => cats.includes(leaf))) throw new Error(`no brand makes ${leaf}`);
}
if (Object.values(LEAVES).reduce((n, l) => n + l[2], 0) !== ITEM_COUNT) throw new Error('leaf counts must sum to 3000');

// ---------- embeddings: category centroid (sharing its parent's direction) + brand + material + noise ----------
const emb = stream('embedding');
const randVec = (scale) => Array.from({ length: DIM }, () => scale * emb.normal());
const add = (...vs) => vs[0].map((_, i) => vs.reduce((s, v) => s + v[i], 0));
const parentVec = Object.fromEntries(Object.keys(PARENTS).map((p) => [p, randVec(1)]));
const leafVec = Object.fromEntries(Object.entries(LEAVES).map(([c, [p]]) => [c, add(parentVec[p].map((x) => 0.6 * x), randVec(0.8))]));
const brandVec = Object.fromEntries(Object.keys(BRANDS).map((b) => [b, randVec(0.35)]));
const materialVec = {};
for (const l of Object.values(LEAVES)) for (const m of l[6]) materialVec[m] ??= randVec(0.2);
const fmt = (x) => { const s = x.toFixed(4); return s === '-0.0000' ? '0.0000' : s; };

// ---------- items ----------
const rnd = stream('items');
const leafOrder = rnd.shuffle(Object.entries(LEAVES).flatMap(([c, l]) => Array(l[2]).fill(c)));
const items = leafOrder.map((category, i) => {
  const [parent, , , lo, hi, nouns, materials, pWaterproof, pUltralight] = LEAVES[category];
  const brand = rnd.pick(Object.keys(BRANDS).filter((b) => BRANDS[b][1].includes(category)));
  const material = rnd.pick(materials);
  const published_at = CATALOG_START + Math.floor(rnd.next() * (BUILT_AT - CATALOG_START));
  const age = (BUILT_AT - published_at) / (BUILT_AT - CATALOG_START); // 0 new .. 1 two years old
  // Heavy tail (Pareto, alpha 1.15): most items sell a little, a few are bestsellers; older items had longer to sell.
  const popularity = Math.min(50000, Math.floor(20 * Math.pow(1 - rnd.next(), -1 / 1.15) * (0.4 + 0.6 * age)));
  const waterproof = material === 'gore-tex' || rnd.chance(pWaterproof);
  const tags = new Set();
  if (rnd.chance(0.14)) tags.add('sale');
  if (rnd.chance(0.025)) tags.add('sale').add('clearance-final');
  if (BUILT_AT - published_at < 45 * DAY) tags.add('new');
  if (/^(recycled|organic)-|merino/.test(material) || rnd.chance(0.08)) tags.add('eco');
  if (waterproof) tags.add('waterproof');
  if (rnd.chance(pUltralight)) tags.add('ultralight');
  let title = `${BRANDS[brand][0]} ${rnd.pick(MODELS)} ${rnd.pick(nouns)}${rnd.pick(SUFFIXES)}`;
  if (waterproof && parent === 'footwear') title += rnd.chance(0.5) ? ' GTX' : ' WP';
  if (GENDERED.has(parent) && rnd.chance(0.6)) title += rnd.chance(0.5) ? " (Women's)" : " (Men's)";
  const fewReviews = popularity < 25 && rnd.chance(0.1); // too new or too niche to have reviews
  const u = rnd.next();
  return {
    id: `sku-${String(i + 1).padStart(5, '0')}`,
    title, category, brand,
    price: Math.floor(lo + (hi - lo) * Math.pow(rnd.next(), 1.6)) + (rnd.chance(0.8) ? 0.99 : 0.95),
    popularity, published_at,
    stock: rnd.chance(0.08) ? 0 : 1 + Math.floor(-Math.log(1 - rnd.next()) * 60),
    sites: u < 0.8 ? 'us|eu' : u < 0.91 ? 'us' : 'eu',
    embedding: add(leafVec[category], brandVec[brand], materialVec[material], randVec(0.25)),
    rating: fewReviews ? null : Math.min(5, Math.max(1, 4.1 + 0.6 * rnd.normal())),
    color: rnd.pick(COLORS), material, tags,
  };
});
// The top 2% by popularity carry the "bestseller" badge.
const popCut = [...items].sort((a, b) => b.popularity - a.popularity)[Math.floor(ITEM_COUNT * 0.02)].popularity;
for (const it of items) if (it.popularity > popCut) it.tags.add('bestseller');

const byPopularity = (a, b) => b.popularity - a.popularity || (a.id < b.id ? -1 : 1);
const sellable = (it) => it.sites === 'us|eu' && it.stock > 0 && !it.tags.has('clearance-final');

// The featured jacket pinned at #1 of home-for-you on the US site: a new, in-stock Ridgeline shell
// that would not reach the top on its own (moderate popularity), so the pin is visible.
const featured = items.find((it) => it.category === 'jackets' && it.brand === 'ridgeline' && sellable(it));
Object.assign(featured, {
  title: 'Ridgeline Stormfront Shell Jacket', material: 'gore-tex', price: 279.0, popularity: 240, stock: 140,
  published_at: utc(2026, 10, 15, 9), rating: 4.8, color: 'orange', tags: new Set(['new', 'waterproof']),
});
featured.embedding = add(leafVec.jackets, brandVec.ridgeline, materialVec['gore-tex']);
// Recalled everywhere: the two best-selling Emberline stoves (a valve defect). Denied on the EU
// site only: the best-selling Granite Peak rope that is not EN 892-certified.
const recalled = items.filter((it) => it.category === 'stoves' && it.brand === 'emberline' && it.sites === 'us|eu' && it.stock > 0)
  .sort(byPopularity).slice(0, 2);
const euDenied = items.filter((it) => it.category === 'ropes' && it.brand === 'granite-peak' && it.sites === 'us|eu' && it.stock > 0)
  .sort(byPopularity)[0];
// Items the rules and deny lists name stay out of the curated list and the visitors' browsing.
const reserved = new Set([...recalled, euDenied, featured].map((it) => it.id));
// Staff picks: the best-rated sellable item with a real sales record (popularity >= 40) of twelve
// categories, in this curated order.
const PICK_CATEGORIES = ['jackets', 'trail-running-shoes', 'tents', 'hiking-boots', 'base-layers', 'sleeping-bags',
  'backpacks', 'fleece', 'headlamps', 'stoves', 'harnesses', 'helmets'];
const staffPicks = PICK_CATEGORIES.map((c) => items
  .filter((it) => it.category === c && sellable(it) && it.rating !== null && it.popularity >= 40 && !reserved.has(it.id))
  .sort((a, b) => b.rating - a.rating || byPopularity(a, b))[0]);
if (!featured || recalled.length !== 2 || !euDenied || staffPicks.some((it) => !it)) {
  throw new Error('the catalog lacks an item the rules or lists need; change the leaf counts or seeds');
}

// ---------- writers ----------
const csvCell = (v) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const writeJson = (name, v) => writeFileSync(join(OUT, name), `${JSON.stringify(v, null, 2)}\n`);
mkdirSync(join(OUT, 'requests'), { recursive: true });

writeJson('categories.json', [
  ...Object.entries(PARENTS).map(([id, name]) => ({ id, name })),
  ...Object.entries(LEAVES).map(([id, [parent, name]]) => ({ id, name, parent })),
]);

const HEADER = 'id,title,category,brand,price,popularity,published_at,stock,sites,embedding,rating,color,material,tags';
writeFileSync(join(OUT, 'items.csv'), `${[HEADER, ...items.map((it) => [
  it.id, it.title, it.category, it.brand, it.price.toFixed(2), it.popularity, it.published_at, it.stock, it.sites,
  it.embedding.map(fmt).join(' '), it.rating === null ? '' : it.rating.toFixed(1), it.color, it.material,
  TAG_ORDER.filter((t) => it.tags.has(t)).join('|'),
].map((v) => csvCell(String(v))).join(','))].join('\n')}\n`);

// ---------- tenant config (docs/config.md) ----------
writeJson('tailor.json', {
  schema: 1,
  tenant: { id: TENANT, name: 'Northwind Outfitters' },
  version: '2026-11-01.1',
  built_at: '2026-11-01T00:00:00Z',
  sites: [
    { id: 'us', name: 'Northwind Outfitters US', currency: 'USD', locale: 'en-US' },
    { id: 'eu', name: 'Northwind Outfitters EU', currency: 'EUR', locale: 'en-IE' },
  ],
  categories: { path: 'categories.json', format: 'json' },
  items: { path: 'items.csv', format: 'csv' },
  attributes: [
    { name: 'rating', type: 'number' },
    { name: 'color', type: 'categorical' },
    { name: 'material', type: 'categorical' },
    { name: 'tags', type: 'tags' },
  ],
  embedding: { dim: DIM, format: 'f32' },
  collections: [{ id: 'staff-picks', items: staffPicks.map((it) => it.id) }],
  deny: { items: recalled.map((it) => it.id), sites: { eu: [euDenied.id] } },
  strategies: [
    { id: 'for-you', terms: [
      { kind: 'category_affinity', weight: 1.0 },
      { kind: 'brand_affinity', weight: 0.4 },
      { kind: 'attribute_affinity', attribute: 'tags', weight: 0.3, name: 'tag_affinity' },
      { kind: 'embedding', weight: 1.2 },
      { kind: 'popularity', weight: 0.5, half_life_days: 365 },
      { kind: 'attribute', attribute: 'rating', weight: 0.2, name: 'rating' },
    ] },
    { id: 'trending', terms: [
      { kind: 'popularity', weight: 1.0, half_life_days: 180 },
      { kind: 'recency', weight: 0.3, half_life_days: 90 },
    ] },
    { id: 'similar', terms: [
      { kind: 'embedding', weight: 1.5 },
      { kind: 'category_affinity', weight: 0.3 },
      { kind: 'popularity', weight: 0.2 },
    ] },
  ],
  slots: [
    { id: 'home-for-you', source: { kind: 'all' }, strategy: 'for-you', size: 8 },
    { id: 'home-trending', source: { kind: 'all' }, strategy: 'trending', size: 6 },
    { id: 'category-page', source: { kind: 'category', id: 'footwear' }, strategy: 'for-you', size: 12 },
    { id: 'staff-picks', source: { kind: 'collection', id: 'staff-picks' }, strategy: 'for-you', size: 6 },
    { id: 'cart-addons', source: { kind: 'request' }, strategy: 'similar', size: 4 },
  ],
  rules: [
    { id: 'boost-sale', action: 'boost', amount: 0.25, slots: ['home-for-you', 'home-trending'],
      match: { attribute: 'tags', values: ['sale'] } },
    { id: 'bury-sandals-winter', action: 'bury', amount: 0.5, match: { categories: ['sandals'] },
      schedule: { start: '2026-11-01T00:00:00Z', end: '2027-03-01T00:00:00Z' } },
    { id: 'pin-featured-jacket', action: 'pin', position: 1, slots: ['home-for-you'], sites: ['us'],
      match: { items: [featured.id] } },
    { id: 'exclude-clearance-final', action: 'exclude', slots: ['home-trending'],
      match: { attribute: 'tags', values: ['clearance-final'] } },
  ],
});

// ---------- behaviour: three example visitors + 200 background shoppers, all in October 2026 ----------
const ev = stream('events');
const events = [];
const push = (e) => events.push({ ...e, seq: events.length });
const view = (user, item, ts) => push({ user, type: 'view', item: item.id, ts });
// A browsing session: n views starting at `ts`, 20 s to 5 min apart; returns the time it ended.
function session(user, ts, pool, n, weightOf = () => 1) {
  for (let k = 0; k < n; k++, ts += ev.int(20, 300)) view(user, ev.weighted(pool, weightOf), ts);
  return ts;
}
const pool = (cats, brands, n) => ev.shuffle(items.filter((it) => cats.includes(it.category)
  && (!brands || brands.includes(it.brand)) && it.sites !== 'eu' && it.stock > 0 && !reserved.has(it.id))).slice(0, n);

// Tess runs trails: Kestrel and Switchback trail shoes and base layers; buys one Kestrel shoe.
{
  const u = 'trail-runner-tess';
  const shoes = [...pool(['trail-running-shoes'], ['kestrel'], 5), ...pool(['trail-running-shoes'], ['switchback'], 4)];
  const layers = [...pool(['base-layers'], ['kestrel'], 3), ...pool(['base-layers'], ['switchback'], 3)];
  push({ user: u, type: 'consent', purposes: ['personalization'], ts: OCT + 3 * DAY + 18 * 3600 + 412 });
  let ts = 0;
  for (const [day, n] of [[3, 8], [6, 7], [9, 9], [13, 6], [17, 8], [21, 7]]) {
    ts = session(u, OCT + day * DAY + 18 * 3600 + 600 + ev.int(0, 3600), [...shoes, ...layers], n,
      (it) => (it.category === 'trail-running-shoes' ? 2 : 1));
  }
  const bought = shoes[0];
  view(u, bought, ts + 60);
  push({ user: u, type: 'cart', item: bought.id, ts: ts + 240 });
  push({ user: u, type: 'purchase', item: bought.id, ts: ts + 900 });
  session(u, OCT + 26 * DAY + 7 * 3600 + ev.int(0, 1800), layers, 5);
}
// Carlos is planning a camping trip: tents, sleeping bags and stoves; buys a tent.
{
  const u = 'camper-carlos';
  const tents = pool(['tents'], ['basecamp-supply', 'fjellstrom'], 7);
  const gear = [...tents, ...pool(['sleeping-bags'], null, 5), ...pool(['stoves'], null, 4)];
  push({ user: u, type: 'consent', purposes: ['personalization'], ts: OCT + 2 * DAY + 12 * 3600 + 95 });
  let ts = 0;
  for (const [day, n] of [[2, 9], [5, 8], [10, 10], [14, 7], [19, 9]]) {
    ts = session(u, OCT + day * DAY + 12 * 3600 + 300 + ev.int(0, 5400), gear, n,
      (it) => (it.category === 'tents' ? 2 : 1));
  }
  push({ user: u, type: 'cart', item: tents[0].id, ts: ts + 120 });
  push({ user: u, type: 'purchase', item: tents[0].id, ts: ts + 700 });
}
// Ana browses hiking boots and fleece but never grants consent: her profile must not be used.
{
  const u = 'anonymous-ana';
  const seen = [...pool(['hiking-boots'], null, 6), ...pool(['fleece'], null, 5)];
  for (const [day, n] of [[4, 10], [11, 11], [18, 9], [25, 12]]) {
    session(u, OCT + day * DAY + 20 * 3600 + ev.int(0, 3600), seen, n);
  }
}
// Background: 200 shoppers with one or two favourite categories, picking popular items more often.
const leafIds = Object.keys(LEAVES);
const byLeaf = Object.fromEntries(leafIds.map((c) => [c, items.filter((it) => it.category === c)]));
for (let s = 1; s <= 200; s++) {
  const u = `shopper-${String(s).padStart(3, '0')}`;
  const favs = [ev.weighted(leafIds, (c) => LEAVES[c][2])];
  if (ev.chance(0.5)) favs.push(ev.weighted(leafIds, (c) => LEAVES[c][2]));
  let ts = OCT + ev.int(3600, 27 * DAY);
  if (ev.chance(0.7)) push({ user: u, type: 'consent', purposes: ['personalization'], ts: ts - ev.int(1, 60) });
  for (let n = ev.int(3, 13); n > 0; n--) {
    const cat = ev.chance(0.8) ? ev.pick(favs) : ev.pick(leafIds);
    const it = ev.weighted(byLeaf[cat], (x) => x.popularity + 1);
    view(u, it, ts);
    if (ev.chance(0.1)) {
      push({ user: u, type: 'cart', item: it.id, ts: ts + ev.int(30, 600) });
      if (ev.chance(0.35)) push({ user: u, type: 'purchase', item: it.id, ts: ts + ev.int(700, 2400) });
    }
    ts = Math.min(ts + (ev.chance(0.7) ? ev.int(30, 600) : ev.int(3600, 5 * DAY)), OCT + 31 * DAY - 3600);
  }
}
events.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
if (events.some((e) => e.ts < OCT || e.ts >= BUILT_AT)) throw new Error('an event falls outside October 2026');
writeFileSync(join(OUT, 'events.ndjson'), events.map(({ seq, ...e }) => JSON.stringify(e)).join('\n') + '\n');

// ---------- one decision request per example visitor ----------
for (const [user, consent] of [['trail-runner-tess', true], ['camper-carlos', true], ['anonymous-ana', false]]) {
  writeJson(`requests/${user}.json`, {
    tenant: TENANT, site: 'us', now: NOW, user: { id: user },
    ...(consent ? { consent: ['personalization'] } : {}),
    slots: [{ id: 'home-for-you' }, { id: 'home-trending', size: 4 }],
    explain: true,
  });
}

const perUser = (u) => events.filter((e) => e.user === u).length;
console.log(JSON.stringify({
  out: OUT,
  items: items.length,
  categories: Object.keys(PARENTS).length + leafIds.length,
  events: events.length,
  visitors: { 'trail-runner-tess': perUser('trail-runner-tess'), 'camper-carlos': perUser('camper-carlos'), 'anonymous-ana': perUser('anonymous-ana') },
  featured_jacket: featured.id,
  recalled: recalled.map((it) => it.id),
  eu_denied: euDenied.id,
  staff_picks: staffPicks.map((it) => it.id),
}, null, 2));
