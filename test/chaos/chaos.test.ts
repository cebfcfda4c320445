// A short pass of the kill loops (`npm run chaos`): the whole stack under 20
// V1 and 5 SV2 miners, the pool killed in one round and the translator in
// the other; every check of the full run must hold. No timing is asserted
// beyond the checks' own bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Chaos, DEFAULTS } from './chaos.js';

test('kill loops: pool and translator killed under V1 and SV2 miners', { timeout: 240_000 }, async (t) => {
  const chaos = new Chaos(
    {
      ...DEFAULTS,
      seed: 13,
      rounds: 2,
      v1: 20,
      sv2: 5,
      plan: ['pool', 'translator'],
      v1IntervalSecs: 2,
      sv2IntervalSecs: 2,
      killMinSecs: 3,
      killMaxSecs: 6,
    },
    (line) => t.diagnostic(line),
  );
  t.after(() => chaos.close());
  const summary = await chaos.run();
  assert.deepEqual(summary.violations, []);
  assert.deepEqual(summary.kills, { pool: 1, translator: 1 });
  // Shares were really checked on both paths.
  assert.ok(summary.sharesChecked.sv2Acknowledged > 0, JSON.stringify(summary.sharesChecked));
  assert.ok(summary.sharesChecked.v1Acknowledged > 0, JSON.stringify(summary.sharesChecked));
  for (const r of summary.rounds) assert.equal(r.integrity, 'ok');
});
