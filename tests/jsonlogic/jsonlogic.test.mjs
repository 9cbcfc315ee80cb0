// `tailor jsonlogic` against cases.ndjson: every operator with json-logic-js 2.0.5 semantics
// (expected results produced by that library), plus the documented build-time errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { runCli, sameJson } from "./suite.mjs";

const CLI = process.env.TAILOR_CLI || "build/native/bin/tailor";
const cases = readFileSync(new URL("./cases.ndjson", import.meta.url), "utf8")
  .split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));

test(`${cases.length} cases answer as expected`, () => {
  assert.ok(cases.length > 300);
  const got = runCli(CLI, cases);
  const wrong = [];
  cases.forEach((c, i) => {
    const ok = c.error ? "error" in got[i] : "result" in got[i] && sameJson(got[i].result, c.result);
    if (!ok) wrong.push(`${JSON.stringify(c.rule)} data=${JSON.stringify(c.data)}: want ${c.error ? "an error" : JSON.stringify(c.result)}, got ${JSON.stringify(got[i])}`);
  });
  assert.deepEqual(wrong, []);
});

test("numbers print as JavaScript prints them", () => {
  const got = runCli(CLI, [
    { rule: { "+": [0.1, 0.2] } }, { rule: { "*": [1, 1] } }, { rule: { "/": [1, 0] } }, { rule: { "+": [1e21, 0] } },
    { rule: { "/": [1, 3e7] } },
  ]).map((g) => JSON.stringify(g));
  assert.deepEqual(got, ['{"result":0.30000000000000004}', '{"result":1}', '{"result":null}', '{"result":1e+21}',
    '{"result":3.3333333333333334e-8}']);
});

test("errors are located, one line per input, exit 1", () => {
  const input = ['{"rule":{"and":[true,{"foo":[1]}]}}', "not json", '{"data":1}', '{"rule":{"==":[1,1]}}', ""].join("\n") + "\n";
  const r = spawnSync(CLI, ["jsonlogic"], { input, encoding: "utf8" });
  assert.equal(r.status, 1);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 5);
  assert.equal(lines[0].error, "line 1: and[1]: unknown operator 'foo'");
  assert.match(lines[1].error, /^line 2: /);
  assert.equal(lines[2].error, 'line 3: missing "rule"');
  assert.deepEqual(lines[3], { result: true });
  assert.equal(lines[4].error, "line 5: empty line");
});

test("the step budget ends runaway rules with an error", () => {
  const big = Array.from({ length: 3000 }, (_, i) => i);
  const rule = { map: [{ var: "xs" }, { map: [{ var: "" }, 1] }] };
  const [ok] = runCli(CLI, [{ rule: { map: [{ var: "xs" }, 1] }, data: { xs: big } }]);
  assert.ok("result" in ok);
  const r = spawnSync(CLI, ["jsonlogic", "--max-steps", "100"], { input: JSON.stringify({ rule, data: { xs: big } }) + "\n", encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(JSON.parse(r.stdout).error, /step budget of 100 exceeded/);
});

test("--help and usage errors", () => {
  const h = spawnSync(CLI, ["jsonlogic", "--help"], { encoding: "utf8" });
  assert.equal(h.status, 0);
  assert.match(h.stdout, /usage: tailor jsonlogic/);
  const u = spawnSync(CLI, ["jsonlogic", "--max-steps", "x"], { encoding: "utf8" });
  assert.equal(u.status, 2);
});
