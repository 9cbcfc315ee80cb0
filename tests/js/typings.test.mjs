// js/src/index.d.ts against the JSON Schemas of the request and the decision: every key either
// schema defines must be typed (tsc is not part of the offline toolchain, so this checks names
// and a few literal unions rather than compiling).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const dts = readFileSync(`${repo}js/src/index.d.ts`, 'utf8');
const schema = (name) => JSON.parse(readFileSync(`${repo}schemas/${name}.schema.json`, 'utf8'));

// Every property name defined anywhere in a schema, with its JSON path for messages.
function keys(node, path = '', out = new Map()) {
  if (Array.isArray(node)) {
    node.forEach((n, i) => keys(n, `${path}[${i}]`, out));
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node.properties ?? {})) {
      if (!out.has(k)) out.set(k, `${path}.${k}`);
      keys(v, `${path}.${k}`, out);
    }
    for (const [k, v] of Object.entries(node))
      if (k !== 'properties') keys(v, path, out);
  }
  return out;
}

// The interface body `name` in the d.ts (first match).
function body(name) {
  const m = dts.match(new RegExp(`export interface ${name}\\b[^{]*\\{([\\s\\S]*?)\\n\\}`));
  assert.ok(m, `interface ${name} not found in index.d.ts`);
  return m[1];
}

const declared = (text, key) => new RegExp(`(^|[\\s{;])${key}\\??:`, 'm').test(text);

test('every key of the decision schema is typed in index.d.ts', () => {
  const missing = [...keys(schema('response'))].filter(([k]) => !declared(dts, k)).map(([, p]) => p);
  assert.deepEqual(missing, []);
});

test('every key of the request schema is typed in index.d.ts', () => {
  const missing = [...keys(schema('request'))].filter(([k]) => !declared(dts, k)).map(([, p]) => p);
  assert.deepEqual(missing, []);
});

test('top-level request and decision keys sit on DecisionRequest and Decision', () => {
  for (const [iface, name] of [['DecisionRequest', 'request'], ['Decision', 'response']]) {
    const b = body(iface);
    const missing = Object.keys(schema(name).properties).filter((k) => !declared(b, k));
    assert.deepEqual(missing, [], `${iface} lacks top-level keys of schemas/${name}.schema.json`);
  }
  const slot = schema('response').properties.slots.items.properties;
  const missing = Object.keys(slot).filter((k) => !declared(body('DecisionSlot'), k));
  assert.deepEqual(missing, [], 'DecisionSlot');
  const item = slot.items.items.properties;
  assert.deepEqual(Object.keys(item).filter((k) => !declared(body('DecisionItem'), k)), [], 'DecisionItem');
  const explain = item.explain.properties;
  assert.deepEqual(Object.keys(explain).filter((k) => !declared(body('DecisionExplain'), k)), [], 'DecisionExplain');
});

test('the enums of the decision schema are the d.ts literal unions', () => {
  const r = schema('response').properties;
  const union = (values) => values.map((v) => `'${v}'`).join(' | ');
  for (const values of [
    r.experiments.items.properties.how.enum,
    r.experiments.items.properties.reason.enum,
    r.exposures.items.properties.how.enum,
    r.exposures.items.properties.allocation.enum,
    r.condition_errors.items.properties.of.enum,
    r.slots.items.properties.items.items.properties.price_source.properties.level.enum,
  ])
    assert.ok(dts.includes(union(values)), `index.d.ts lacks the union ${union(values)}`);
});
