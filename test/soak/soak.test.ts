// A short soak: the whole path of `npm run soak` (every role sampled through
// the preloaded probe, V1 and SV2 miners, devnet blocks, the final count
// against the pool's database) in about a minute with a few miners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/resources.js';

const RUN = fileURLToPath(new URL('./run.js', import.meta.url));

interface RoleFigures {
  samples: number;
  samples_under_load: number;
  rss_growth_pct: number;
  el_p99_ms_worst: number;
  el_max_ms_worst: number;
  el_start_ms: { p99_worst: number; max_worst: number } | null;
  el_setup_ms: { p99_worst: number; max_worst: number } | null;
}

test(
  'soak: one minute, every role sampled, share counts equal the store',
  { timeout: 300_000 },
  async (t) => {
    const dir = tempDir(t, 'strata-soak-test-');
    const out = join(dir, 'summary.json');
    const args = ['--minutes', '1', '--v1', '40', '--sv2', '8', '--sample-secs', '10', '--block-secs', '15'];
    const child = spawn(process.execPath, [RUN, ...args, '--share-secs', '3', '--json', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    // SIGTERM makes the run stop every process it started.
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 0, text.slice(-4000));
    const summary = JSON.parse(readFileSync(out, 'utf8')) as {
      ok: boolean;
      failures: string[];
      conditions: { blocks_mined: number };
      roles: Record<string, RoleFigures>;
      shares: {
        v1: { miners_accepted: number; store_accepted: number; store_rejected: number };
        sv2: { miners_acknowledged: number; store_accepted: number };
      };
    };
    assert.deepEqual(summary.failures, []);
    assert.ok(summary.ok);
    for (const role of ['devnet', 'tp', 'pool', 'translator']) {
      const r = summary.roles[role];
      assert.ok(r !== undefined && r.samples_under_load >= 3, `${role}: samples under load`);
      assert.ok(Number.isFinite(r.rss_growth_pct) && r.el_max_ms_worst >= r.el_p99_ms_worst);
      // Every role started before the miners: its start, then the miners' connection
      // burst, each has a line of its own, neither judged with the load.
      assert.ok(r.el_start_ms !== null, `${role}: a start sample`);
      assert.ok(r.el_setup_ms !== null, `${role}: a setup sample`);
    }
    assert.ok(summary.conditions.blocks_mined >= 2, 'devnet blocks on the timer');
    assert.ok(summary.shares.v1.miners_accepted > 0 && summary.shares.sv2.miners_acknowledged > 0);
    // The translator answers a forwarded share once the pool has acknowledged it, so a
    // V1 miner's `true` is a stored share: a share refused upstream (stale just after a
    // block) reaches the miner as a reject.
    assert.equal(summary.shares.v1.store_accepted, summary.shares.v1.miners_accepted);
    // The translator's default is a worker process per core: each is sampled on its own.
    const workers = Object.keys(summary.roles).filter((k) => k.startsWith('translator-worker['));
    if (availableParallelism() > 1) {
      assert.equal(workers.length, availableParallelism(), Object.keys(summary.roles).join(', '));
      for (const w of workers)
        assert.ok(summary.roles[w]!.samples_under_load >= 3, `${w}: samples under load`);
    }
    assert.equal(summary.shares.sv2.store_accepted, summary.shares.sv2.miners_acknowledged);
    // One line per role per sample.
    assert.match(text, /soak: min +[0-9.]+ translator +rss/);
    assert.match(text, /soak: min start pool +rss/);
    assert.match(text, /soak: min setup pool +rss/);
  },
);
