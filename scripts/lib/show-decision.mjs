// Renders a decision JSON (stdin or a file) as a readable table with score bars.
//   node scripts/lib/show-decision.mjs [decision.json] [--title "..."]
import { readFileSync } from 'node:fs';

export function renderDecision(d, title = '') {
  const out = [];
  const bar = (v, max) => {
    const n = max > 0 ? Math.max(0, Math.round((v / max) * 20)) : 0;
    return '█'.repeat(n) + '·'.repeat(20 - n);
  };
  if (title) out.push(`\n=== ${title} ===`);
  out.push(`tenant ${d.tenant}  snapshot ${d.snapshot.version} (${d.snapshot.hash.slice(0, 12)})  ` +
    `site ${d.site ?? '-'}  personalized: ${d.personalized ? 'yes' : 'no'}`);
  for (const slot of d.slots) {
    const filtered = Object.entries(slot.filtered).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    out.push(`\n  slot ${slot.id} (strategy ${slot.strategy}): ${slot.candidates} candidates, filtered: ${filtered}`);
    if (slot.terms_off.length) out.push(`  personal terms off (no profile or no consent): ${slot.terms_off.join(', ')}`);
    const max = Math.max(...slot.items.map((i) => i.score), 0);
    for (const it of slot.items) {
      const title = (it.title ?? it.id).slice(0, 34).padEnd(34);
      out.push(`  ${String(it.rank).padStart(2)}. ${title} ${bar(it.score, max)} ${it.score.toFixed(3).padStart(7)}` +
        `  ${it.category ?? ''}${it.price !== undefined ? `  ${it.price}` : ''}`);
      if (!it.explain) continue;
      const terms = it.explain.terms.filter((t) => t.contribution !== 0)
        .map((t) => `${t.name} ${t.contribution >= 0 ? '+' : ''}${t.contribution.toFixed(3)}`);
      const rules = it.explain.rules.map((r) => r.action === 'pin' ? `pinned by ${r.id} at #${r.position}` :
        `${r.id} ${r.amount >= 0 ? '+' : ''}${r.amount}`);
      out.push(`      why: ${[...terms, ...rules].join(', ') || 'no scoring signal'}`);
    }
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--title');
  const title = ti >= 0 ? args.splice(ti, 2)[1] : '';
  const text = readFileSync(args[0] ?? 0, 'utf8');
  console.log(renderDecision(JSON.parse(text), title));
}
