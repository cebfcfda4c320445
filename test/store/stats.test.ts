import { test as nodeTest, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { CHART_POINTS, Store, type ShareInput } from '../../src/store/index.js';
import { ENGINES, storeLocation, type Engine } from './engines.js';

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
  await store.flush();
  await Promise.all(p);
}

for (const engine of ENGINES) suite(engine);

function suite(engine: Engine): void {
  const test = (name: string, fn: (t: TestContext) => Promise<void>) => nodeTest(`${engine}: ${name}`, fn);
  const where = (t: TestContext) => storeLocation(t, engine);

  test('hashrate windows: Σ difficulty × 2^32 over the seconds each window covers', async (t) => {
    const store = await Store.open(await where(t));
    t.after(() => store.close());
    await fill(store);
    // 10 min (minute buckets N0−8m … N0+1m): 270 + 270, and the pool's work in
    // it starts with bucket N0−1m (none in the 10 minutes before): 120 s.
    // 1 h: adds alice/rig2's 1,000 at N0−30m, where the pool's work in the hour
    // starts (none in the hour before): 1,860 s.
    // 24 h (144 ten-minute buckets from N0−23h50m): adds bob's 5,000 at N0−5h;
    // bob also mined 25 h ago, within 24 h before the window: work went on when
    // the window began, so it covers all of its 85,860 s.
    assert.deepEqual(await store.stats.poolHashrate(NOW), {
      hashrate_10m: (540 * G) / 120,
      hashrate_1h: (1540 * G) / 1860,
      hashrate_24h: (6540 * G) / 85_860,
    });
    assert.deepEqual(await store.stats.accountHashrate('bob', NOW), {
      hashrate_10m: 0,
      hashrate_1h: 0,
      hashrate_24h: (5000 * G) / 85_860,
    });
    assert.equal(await store.stats.accountHashrate('nobody', NOW), undefined);
  });

  test('charts: 144 ten-minute points ending with the current, partly filled bucket', async (t) => {
    const store = await Store.open(await where(t));
    t.after(() => store.close());
    await fill(store);
    const chart = await store.stats.poolChart(NOW);
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
    const alice = await store.stats.accountChart('alice', NOW);
    assert.equal(alice?.filter((p) => p.accepted > 0).length, 3);
  });

  test('pool stats, account stats and workers with rejects by reason', async (t) => {
    const store = await Store.open(await where(t));
    t.after(() => store.close());
    await fill(store);
    await store.ledger.recordBlock({
      height: 7,
      hash: '07'.repeat(32),
      account: 'bob',
      worker: 'rig',
      reward_sats: 1n,
      coinbase_value: 1n,
      time: N0,
    });
    const s = await store.stats.poolStats(NOW);
    assert.equal(s.accounts, 2);
    assert.equal(s.workers, 3);
    assert.equal(s.workers_online, 1); // only alice/rig1 shared in the last 10 minutes
    assert.deepEqual(s.totals, { accepted: 5, rejected: 4, stale: 3 });
    assert.deepEqual(s.best_share, { account: 'bob', worker: 'rig', difficulty: 123_456 });
    assert.equal(s.blocks_found, 1);
    assert.equal(s.last_block?.height, 7);
    assert.equal(s.hashrate_10m, (540 * G) / 120);

    const bob = await store.stats.accountStats('BOB', NOW);
    assert.deepEqual(bob?.totals, { accepted: 2, rejected: 1, stale: 1 });
    assert.equal(bob?.best_share_difficulty, 123_456);

    const workers = await store.stats.accountWorkers('alice', NOW);
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
        ['rig1', true, 2, 3, (540 * G) / 120, (540 * G) / 120, { 'difficulty-too-low': 1, 'stale-share': 2 }],
        ['rig2', false, 1, 0, 0, (1000 * G) / 1860, {}],
      ],
    );
    // bob's only reject is older than 24 h: counted in the totals, not in rejects_24h.
    assert.deepEqual((await store.stats.accountWorkers('bob', NOW))?.[0]?.rejects_24h, {});
  });

  test('prune drops old buckets but keeps the all-time counters', async (t) => {
    const store = await Store.open(await where(t), { stats_retention_days: 1 });
    t.after(() => store.close());
    await fill(store);
    await store.prune(NOW);
    const count = async (table: string) =>
      (await store.stats.engine.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n;
    assert.equal(await count('stats_pool_1m'), 3); // N0 − 30 min, N0 − 1 min, N0 (3 h kept)
    assert.equal(await count('stats_pool_10m'), 4); // the 25 h old bucket is gone
    assert.equal(await count('shares'), 5);
    assert.deepEqual(await store.stats.totals(), { accepted: 5, rejected: 4, stale: 3 });
    // The buckets before the 24 h window are gone, so its work counts from its
    // first bucket, N0−5h (too old for minute buckets): 18,060 s.
    assert.deepEqual((await store.stats.poolHashrate(NOW)).hashrate_24h, (6540 * G) / 18_060);
  });

  /** One worker's shares at the given times (ms), each of difficulty `d`, first seen at `seen`. */
  async function worker(store: Store, account: string, name: string, seen: number, times: number[], d = 100) {
    await store.ensureWorker(account, name);
    await store.stats.engine.run(
      'UPDATE workers SET first_seen = ? WHERE name = ? AND account_id = (SELECT id FROM accounts WHERE name = ?)',
      [seen, name, account],
    );
    const p = times.map((time) =>
      store.enqueue({
        account,
        worker: name,
        time,
        difficulty: d,
        share_difficulty: d,
        channel_id: 1,
        job_id: 1,
      }),
    );
    await store.flush();
    await Promise.all(p);
  }

  const every = (from: number, to: number, step: number) =>
    Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

  test('work that started inside a window is divided by the time since it started', async (t) => {
    const store = await Store.open(await where(t));
    t.after(() => store.close());
    // First seen 5 minutes before NOW (mid-minute), a share every 10 s since: 30 shares of 100.
    const seen = NOW - 300_000;
    await worker(store, 'carl', 'cpu', seen, every(seen + 10_000, NOW, 10_000));
    const d = 30 * 100;
    const expected = (d * G) / 300;
    for (const h of [
      await store.stats.poolHashrate(NOW),
      (await store.stats.accountHashrate('carl', NOW))!,
      (await store.stats.accountWorkers('carl', NOW))![0]!,
    ]) {
      assert.equal(h.hashrate_10m, expected);
      assert.equal(h.hashrate_1h, expected);
      assert.equal(
        h.hashrate_24h,
        expected,
        '24 h: from the 10-minute bucket down to the minute, then to first_seen',
      );
    }
    assert.equal((await store.stats.accountStats('carl', NOW))?.hashrate_10m, expected);
    // The same work from a worker first seen long ago: from the start of its first minute bucket.
    const old = await Store.open(await where(t));
    t.after(() => old.close());
    await worker(old, 'carl', 'cpu', NOW - 30 * H, every(seen + 10_000, NOW, 10_000));
    const firstMinute = seen + 10_000 - ((seen + 10_000) % MIN);
    assert.equal((await old.stats.poolHashrate(NOW)).hashrate_10m, (d * G) / ((NOW - firstMinute) / 1000));
    assert.equal((await old.stats.poolHashrate(NOW)).hashrate_24h, (d * G) / ((NOW - firstMinute) / 1000));
  });

  test('sparse shares that went on before the window keep the whole window; a returning miner does not', async (t) => {
    const store = await Store.open(await where(t));
    t.after(() => store.close());
    // A share every 7 minutes for 2 hours: the 10-minute window's first bucket may hold none.
    const times = every(NOW - 2 * H, NOW, 7 * MIN);
    await worker(store, 'sam', 'slow', NOW - 3 * H, times);
    const first = NOW - 9 * MIN; // N0−8m: bucket of NOW minus 9 buckets
    const in10 = times.filter((x) => x >= first).length;
    assert.equal(
      (await store.stats.poolHashrate(NOW)).hashrate_10m,
      (in10 * 100 * G) / ((NOW - first) / 1000),
    );
    // Back after a 3-hour break, mining for the last 4 minutes (first seen days ago).
    const back = every(NOW - 4 * MIN + 1000, NOW, 20_000);
    await worker(store, 'rita', 'rig', NOW - 72 * H, [NOW - 6 * H, ...back]);
    const rita = (await store.stats.accountWorkers('rita', NOW))![0]!;
    assert.equal(rita.hashrate_10m, (back.length * 100 * G) / 240);
    assert.equal(rita.hashrate_1h, (back.length * 100 * G) / 240);
    // 24 h: her work in it starts with the 10-minute bucket of 6 h ago (too old
    // for minute buckets, nothing in the 24 h before): the break counts, the time before it not.
    assert.equal(rita.hashrate_24h, ((back.length + 1) * 100 * G) / ((NOW - (N0 - 6 * H)) / 1000));
  });

  test('a first share right after a start reads over at least a minute', async (t) => {
    const store = await Store.open(await where(t));
    t.after(() => store.close());
    await worker(store, 'fay', 'new', NOW - 2000, [NOW - 1000]);
    assert.equal((await store.stats.poolHashrate(NOW)).hashrate_10m, (100 * G) / 60);
  });

  test("a block below the channel target does not become the worker's current difficulty", async (t) => {
    const store = await Store.open(await where(t));
    t.after(() => store.close());
    const base = { account: 'vic', worker: 'rig', channel_id: 1, job_id: 1 };
    const p = [
      store.enqueue({ ...base, time: NOW - 2000, difficulty: 512, share_difficulty: 600 }),
      store.enqueue({
        ...base,
        time: NOW - 1000,
        difficulty: 4.6e-10,
        share_difficulty: 0.03,
        below_target: true,
        is_block: true,
      }),
    ];
    await store.flush();
    await Promise.all(p);
    const [w] = (await store.stats.accountWorkers('vic', NOW))!;
    assert.equal(w!.current_difficulty, 512);
    assert.equal(w!.accepted, 2);
    assert.equal(w!.last_share_at, NOW - 1000);
  });
}
