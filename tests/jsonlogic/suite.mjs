// Runs JsonLogic cases through `tailor jsonlogic` (the build compiler + the engine evaluator).
// Also usable by hand on a suite in the jsonlogic.com tests.json format (an array of comment
// strings and [rule, data, expected] triples):
//   node tests/jsonlogic/suite.mjs path/to/tests.json [build/native/bin/tailor]
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// Deep equality as JSON values: object key order does not matter, array order does.
export function sameJson(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
    return sameJson(ka, kb) && ka.every((k) => sameJson(a[k], b[k]));
  }
  return a === b;
}

// One output object per case: {result} or {error}.
export function runCli(cli, cases) {
  const input = cases.map(({ rule, data }) => JSON.stringify({ rule, data })).join("\n") + "\n";
  const r = spawnSync(cli, ["jsonlogic"], { input, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  const lines = r.stdout.split("\n").filter((l) => l.length > 0);
  if (lines.length !== cases.length) throw new Error(`${cases.length} cases in, ${lines.length} lines out: ${r.stderr}`);
  return lines.map((l) => JSON.parse(l));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [, , path, cli = process.env.TAILOR_CLI || "build/native/bin/tailor"] = process.argv;
  const triples = JSON.parse(readFileSync(path, "utf8")).filter((t) => typeof t !== "string");
  const got = runCli(cli, triples.map(([rule, data]) => ({ rule, data })));
  let failed = 0;
  triples.forEach(([rule, data, want], i) => {
    if (!("result" in got[i]) || !sameJson(got[i].result, want)) {
      ++failed;
      console.log(`FAIL ${JSON.stringify(rule)} data=${JSON.stringify(data)} want=${JSON.stringify(want)} got=${JSON.stringify(got[i])}`);
    }
  });
  console.log(`${triples.length} cases, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
