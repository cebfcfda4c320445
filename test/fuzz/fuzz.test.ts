// Every fuzz target for a short seeded pass: its corpus replayed, then a fixed
// number of mutated and generated inputs. Bounded by input count, not time;
// fails on any uncaught exception or hang. Slow inputs are reported by
// `npm run fuzz`, not asserted here.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/paths.js';
import { readCorpus, runTarget } from './core.js';
import { TARGETS } from './targets/index.js';

const SEED = 0x5eed;
/** Inputs after the corpus, per target; the network-bound targets get fewer. */
const BUDGET: Record<string, number> = { 'rpc-reply': 300, web: 300, 'noise-act1': 200, 'noise-act2': 200 };

for (const target of TARGETS) {
  test(`fuzz ${target.name}: corpus and a seeded pass raise nothing unexpected`, async () => {
    const corpusDir = join(ROOT, 'test', 'fuzz-corpus', target.name);
    // The budget comes on top of the replayed corpus files and seeds.
    const replay = readCorpus(corpusDir).length + target.seeds().length;
    const stats = await runTarget(target, {
      seed: SEED,
      inputs: replay + (BUDGET[target.name] ?? 2000),
      corpusDir,
      save: false,
      slowMs: Infinity,
    });
    const problems = stats.findings.map((f) => `${f.kind}: ${f.message}`);
    assert.deepEqual(problems, [], `${target.name} findings`);
    assert.equal(stats.exceptions, 0);
    assert.equal(stats.hangs, 0);
    assert.ok(stats.inputs > 0);
  });
}
