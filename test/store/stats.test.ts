import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHART_POINTS, Store, type ShareInput } from '../../src/store/index.js';
import { tempDbPath } from './tmp.js';

const N0 = 1_700_000_400_000; // a 10-minute boundary
const NOW = N0 + 60_000; // one minute into the current 10-minute bucket
const MIN = 60_000;
const H = 3_600_000;
const G = 2 ** 32;

async function fill(store: Store): Promise<void> {
  const share = (
    account: string,
    worker: string,
    time: number,
    difficulty: number,
    best = difficulty,
  ): ShareInput => ({
    account,
    worker,
    time,
    difficulty,
    share_difficulty: best,
    channel_id: 1,
    job_id: 1,
  });
  const p: Promise<unknown>[] = [
    store.enqueue(share('alice', 'rig1', N0 - 30_000, 270)),
    store.enqueue(share('alice', 'rig1', N0, 270)),
    store.enqueue(share('alice', 'rig2', N0 - 30 * MIN, 1000)),
    store.enqueue(share('bob', 'rig', N0 - 5 * H, 5000, 123_456)),
    store.enqueue(share('bob', 'rig', N0 - 25 * H, 7000)),
    store.reject({ account: 'alice', worker: 'rig1', reason: 'stale-share', time: N0 - 10_000 }),
    store.reject({ account: 'alice', worker: 'rig1', reason: 'stale-share', time: N0 - 10_000 }),
    store.reject({ account: 'alice', worker: 'rig1', reason: 'difficulty-too-low', time: N0 - 10_000 }),
    store.reject({ account: 'bob', worker: 'rig', reason: 'stale-share', time: N0 - 25 * H }),
  ];
  store.flush();
  await Promise.all(p);
}

test('hashrate windows: Σ difficulty × 2^32 over the seconds each window covers', async (t) => {
  const store = Store.open(tempDbPath(t));
  t.after(() => store.close());
  await fill(store);
  // 10 min: minute buckets N0−9m … N0+1m cover 540 s and hold 270 + 270.
  // 1 h: 60 minute buckets cover 3,540 s and add alice/rig2's 1,000.
  // 24 h: 144 ten-minute buckets cover 85,860 s and add bob's 5,000 (his 25 h old share is out).
  assert.deepEqual(store.stats.poolHashrate(NOW), {
    hashrate_10m: (540 * G) / 540,
    hashrate_1h: (1540 * G) / 3540,
    hashrate_24h: (6540 * G) / 85_860,
  });
  assert.deepEqual(store.stats.accountHashrate('bob', NOW), {
    hashrate_10m: 0,
    hashrate_1h: 0,
    hashrate_24h: (5000 * G) / 85_860,
  });
  assert.equal(store.stats.accountHashrate('nobody', NOW), undefined);
});

test('charts: 144 ten-minute points ending with the current, partly filled bucket', async (t) => {
  const store = Store.open(tempDbPath(t));
  t.after(() => store.close());
  await fill(store);
  const chart = store.stats.poolChart(NOW);
  assert.equal(chart.length, CHART_POINTS);
  assert.equal(chart[143]?.time, N0);
  assert.equal(chart[0]?.time, N0 - 143 * 10 * MIN);
  const nonZero = chart.flatMap((p, i) =>
    p.accepted || p.rejected ? [[i, p.hashrate, p.accepted, p.rejected]] : [],
  );
  assert.deepEqual(nonZero, [
    [113, (5000 * G) / 600, 1, 0], // N0 − 5 h
    [140, (1000 * G) / 600, 1, 0], // N0 − 30 min
    [142, (270 * G) / 600, 1, 3], // N0 − 30 s and the three rejects at N0 − 10 s
    [143, (270 * G) / 60, 1, 0], // N0, the current bucket has covered 60 s
  ]);
  const alice = store.stats.accountChart('alice', NOW);
  assert.equal(alice?.filter((p) => p.accepted > 0).length, 3);
});

test('pool stats, account stats and workers with rejects by reason', async (t) => {
  const store = Store.open(tempDbPath(t));
  t.after(() => store.close());
  await fill(store);
  store.ledger.recordBlock({
    height: 7,
    hash: '07'.repeat(32),
    account: 'bob',
    worker: 'rig',
    reward_sats: 1n,
    coinbase_value: 1n,
    time: N0,
  });
  const s = store.stats.poolStats(NOW);
  assert.equal(s.accounts, 2);
  assert.equal(s.workers, 3);
  assert.equal(s.workers_online, 1); // only alice/rig1 shared in the last 10 minutes
  assert.deepEqual(s.totals, { accepted: 5, rejected: 4, stale: 3 });
  assert.deepEqual(s.best_share, { account: 'bob', worker: 'rig', difficulty: 123_456 });
  assert.equal(s.blocks_found, 1);
  assert.equal(s.last_block?.height, 7);
  assert.equal(s.hashrate_10m, G);

  const bob = store.stats.accountStats('BOB', NOW);
  assert.deepEqual(bob?.totals, { accepted: 2, rejected: 1, stale: 1 });
  assert.equal(bob?.best_share_difficulty, 123_456);

  const workers = store.stats.accountWorkers('alice', NOW);
  assert.deepEqual(
    workers?.map((w) => [
      w.name,
      w.online,
      w.accepted,
      w.rejected,
      w.hashrate_10m,
      w.hashrate_1h,
      w.rejects_24h,
    ]),
    [
      ['rig1', true, 2, 3, G, (540 * G) / 3540, { 'difficulty-too-low': 1, 'stale-share': 2 }],
      ['rig2', false, 1, 0, 0, (1000 * G) / 3540, {}],
    ],
  );
  // bob's only reject is older than 24 h: counted in the totals, not in rejects_24h.
  assert.deepEqual(store.stats.accountWorkers('bob', NOW)?.[0]?.rejects_24h, {});
});

test('prune drops old buckets but keeps the all-time counters', async (t) => {
  const store = Store.open(tempDbPath(t), { stats_retention_days: 1 });
  t.after(() => store.close());
  await fill(store);
  store.prune(NOW);
  const count = (table: string) =>
    (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  assert.equal(count('stats_pool_1m'), 3); // N0 − 30 min, N0 − 1 min, N0 (3 h kept)
  assert.equal(count('stats_pool_10m'), 4); // the 25 h old bucket is gone
  assert.equal(count('shares'), 5);
  assert.deepEqual(store.stats.totals(), { accepted: 5, rejected: 4, stale: 3 });
  assert.deepEqual(store.stats.poolHashrate(NOW).hashrate_24h, (6540 * G) / 85_860);
});
