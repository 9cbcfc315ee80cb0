// `tailor experiment` against a JavaScript reference of the GrowthBook SDK algorithms (written
// here from the SDK's documented behaviour, packages/sdk-js/src/util.ts): thousands of generated
// ops, compared line by line as JSON.stringify prints them, so float math and number printing
// must agree bit for bit. Run: TAILOR_CLI=build/native/bin/tailor node --test tests/conformance-experiment/
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const CLI = process.env.TAILOR_CLI || "build/native/bin/tailor";

// ---- reference (JS number semantics) ----
function fnv(str) {
  let h = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) h = Math.imul(h ^ str.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
function hash(seed, value, version) {
  if (version === 2) return (fnv(String(fnv(seed + value))) % 10000) / 10000;
  if (version === 1) return (fnv(value + seed) % 1000) / 1000;
  return null;
}
function bucketRanges(n, coverage, weights) {
  coverage = coverage === undefined ? 1 : Math.min(1, Math.max(0, coverage));
  const equal = n <= 0 ? [] : new Array(n).fill(1 / n);
  let w = weights || equal;
  if (w.length !== n) w = equal;
  const total = w.reduce((acc, x) => x + acc, 0);
  if (total < 0.99 || total > 1.01) w = equal;
  let cum = 0;
  return w.map((x) => {
    const start = cum;
    cum += x;
    return [start, start + coverage * x];
  });
}
function choose(n, ranges) {
  return ranges.findIndex((r) => n >= r[0] && n < r[1]);
}
function inNamespace(user, ns) {
  const n = hash("__" + ns[0], user, 1);
  return n >= ns[1] && n < ns[2];
}

// ---- generated ops (deterministic) ----
let s = 0x2545f491;
const rnd = () => ((s = Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
const pick = (a) => a[Math.floor(rnd() * a.length)];
const pieces = ["a", "user-", "123", "é", "日本", "😀", "__", "\"q\"", "\\", " ", "x".repeat(40), "Ω", ""];
const str = () => Array.from({ length: Math.floor(rnd() * 4) }, () => pick(pieces)).join("") + Math.floor(rnd() * 1e6);
const num = () => pick([0, 1, 0.5, rnd(), rnd() * 2 - 0.5, Math.round(rnd() * 1e4) / 1e4, 1e-7 * rnd(), 1e21 * rnd()]);

function weightsFor(n) {
  const kind = rnd();
  if (kind < 0.25) return null;
  const raw = Array.from({ length: kind < 0.3 ? n + 1 : n }, () => rnd());
  const sum = raw.reduce((a, b) => a + b, 0) || 1;
  const scale = pick([1, 1, 0.995, 1.005, 0.98, 1.02]);
  return raw.map((x) => (kind < 0.6 ? Math.round((x / sum) * scale * 1e4) / 1e4 : (x / sum) * scale));
}

const ops = [];
for (let i = 0; i < 4000; i++) {
  const kind = i % 4;
  if (kind === 0) {
    const op = { op: "hash", seed: str(), value: str(), version: pick([1, 2, 2, 1, 3, 0]) };
    ops.push([op, hash(op.seed, op.value, op.version)]);
  } else if (kind === 1) {
    const n = Math.floor(rnd() * 7);
    const op = { op: "bucket_ranges", variations: n, coverage: num(), weights: weightsFor(n) };
    ops.push([op, bucketRanges(n, op.coverage, op.weights ?? undefined)]);
  } else if (kind === 2) {
    const ranges = bucketRanges(Math.floor(rnd() * 5) + 1, pick([1, rnd()]), null);
    const op = { op: "choose", hash: pick([rnd(), ...ranges.flat()]), ranges };
    ops.push([op, choose(op.hash, op.ranges)]);
  } else {
    const a = rnd(), b = rnd();
    const op = { op: "in_namespace", user: str(), namespace: [str(), Math.min(a, b), Math.max(a, b)] };
    ops.push([op, inNamespace(op.user, op.namespace)]);
  }
}

test("tailor experiment agrees with the JS reference on every generated op", () => {
  const input = ops.map(([op]) => JSON.stringify(op)).join("\n") + "\n";
  const r = spawnSync(CLI, ["experiment"], { input, encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.equal(lines.pop(), "");
  assert.equal(lines.length, ops.length);
  let mismatches = 0;
  lines.forEach((line, i) => {
    const want = JSON.stringify({ result: ops[i][1] });
    if (line !== want && mismatches++ < 10) assert.fail(`op ${JSON.stringify(ops[i][0])}\n got ${line}\nwant ${want}`);
  });
  assert.equal(mismatches, 0);
});

test("tailor experiment prints tiny and negative numbers like JavaScript", () => {
  // Range starts carry a weight through unchanged, so weights [w, 1 - w] print w itself.
  const values = [1e-7, 1.5e-7, 9.99e-7, 1e-6, 1.234e-10, 5e-324, -1e-7, -2.5e-8, 0.1 + 0.2 - 0.3];
  const input = values.map((w) => JSON.stringify({ op: "bucket_ranges", variations: 2, coverage: 0.3, weights: [w, 1 - w] })).join("\n") + "\n";
  const r = spawnSync(CLI, ["experiment"], { input, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const want = values.map((w) => JSON.stringify({ result: bucketRanges(2, 0.3, [w, 1 - w]) })).join("\n") + "\n";
  assert.equal(r.stdout, want);
  assert.match(r.stdout, /1e-7/);
});
