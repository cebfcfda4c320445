// The figures behind the pages: per-worker rows keyed by (account, worker),
// live channel facts layered on stored stats, PPLNS position and estimate,
// solo blocks, and stats that survive a restart (they come from the store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pino } from 'pino';
import { Store } from '../../src/store/index.js';
import { createWebServer } from '../../src/web/index.js';
import { engineOf } from '../../src/web/engine.js';
import { WebQueries } from '../../src/web/queries.js';
import { accountView, expectedBlockSeconds, poolView, type WebContext } from '../../src/web/view.js';
import {
  Client,
  FakeLive,
  regtestAddress,
  seed,
  share,
  startWeb,
  TEST_SCRYPT,
  type WebFixture,
} from './fixture.js';

const NOW = 1_800_000_030_000; // 30 s into a minute (and a 10-minute bucket)
const MIN = 60_000;

function ctxOf(f: Pick<WebFixture, 'store' | 'live' | 'config'>): WebContext {
  return { store: f.store, live: f.live, config: f.config, queries: new WebQueries(engineOf(f.store)) };
}

async function seedAlice(f: WebFixture): Promise<void> {
  await f.store.ensureWorker('alice', 'rig1', { user_agent: 'Bitaxe/1' });
  await f.store.ensureWorker('alice', 'rig2', { user_agent: 'cpuminer/2.5' });
  await seed(
    f.store,
    [
      share('alice', 'rig1', 600, NOW - 20_000, 4000),
      share('alice', 'rig2', 1200, NOW - 30 * MIN, 1300),
      share('bob', 'x', 200, NOW - 10_000),
    ],
    [],
  );
  await Promise.all([
    f.store.reject({ account: 'alice', worker: 'rig1', reason: 'stale-share', time: NOW - 5000 }),
    f.store.reject({ account: 'alice', worker: 'rig1', reason: 'stale-share', time: NOW - 4000 }),
    f.store.reject({ account: 'alice', worker: 'rig1', reason: 'difficulty-too-low', time: NOW - 3000 }),
    Promise.resolve(f.store.flush()),
  ]);
}

test('worker rows: online from the last share, windows, rejects by reason, live difficulty and session best', async (t) => {
  const f = await startWeb(t);
  await seedAlice(f);
  f.live.open = [
    {
      account: 'ALICE',
      worker: 'rig1',
      channel_id: 1,
      user_agent: 'Bitaxe/1',
      difficulty: 512,
      best_share_difficulty: 777,
    },
    {
      account: 'alice',
      worker: 'rig1',
      channel_id: 2,
      user_agent: 'Bitaxe/1',
      difficulty: 256,
      best_share_difficulty: 900,
    },
    {
      account: 'bob',
      worker: 'rig2',
      channel_id: 3,
      user_agent: '',
      difficulty: 9999,
      best_share_difficulty: 9999,
    },
  ];
  const ctx = ctxOf(f);
  const v = (await accountView(ctx, (await ctx.queries.accountByName('alice'))!, NOW))!;
  assert.deepEqual(
    v.workers.map((w) => [w.name, w.online, w.accepted, w.rejected, w.channels]),
    [
      ['rig1', true, 1, 3, 2],
      ['rig2', false, 1, 0, 0],
    ],
  );
  const [rig1, rig2] = v.workers as [(typeof v.workers)[0], (typeof v.workers)[0]];
  assert.deepEqual(rig1.rejects_24h, { 'difficulty-too-low': 1, 'stale-share': 2 });
  assert.equal(rig1.reject_rate, 3 / 4);
  assert.equal(rig1.current_difficulty, 512, 'the largest target difficulty of its open channels');
  assert.equal(rig1.best_share_session, 900);
  assert.equal(rig1.best_share_difficulty, 4000);
  assert.equal(rig2.current_difficulty, 1200, 'not connected: the difficulty its last share was credited at');
  assert.equal(rig2.best_share_session, null);
  // 600 difficulty in the 10-minute window, where rig1's work starts in the
  // current minute (30 s ago): read over the least cover, a minute. rig2's
  // share is only in the 1 h and 24 h windows.
  assert.equal(rig1.hashrate_10m, (600 * 2 ** 32) / 60);
  assert.equal(rig2.hashrate_10m, 0);
  assert.ok(rig2.hashrate_1h > 0 && rig2.hashrate_24h > 0);
  assert.equal(v.hashrate_10m, rig1.hashrate_10m);
  assert.deepEqual(v.totals, { accepted: 2, rejected: 3, stale: 2 });
  assert.deepEqual(v.rejected_by_reason, { 'difficulty-too-low': 1, 'stale-share': 2 });
  assert.equal(v.best_share_difficulty, 4000);
  assert.equal(v.best_share_of_network, 4000 / f.live.current!.difficulty);
  assert.equal(v.chart.length, 144);
  assert.equal(v.chart_shares_24h, 2);
  assert.equal(
    v.chart.reduce((n, p) => n + p.accepted, 0),
    2,
  );
});

test('PPLNS: the account share of the window and what the next block would pay it', async (t) => {
  const f = await startWeb(t);
  await seedAlice(f);
  f.live.current = { ...f.live.current!, difficulty: 1e6, coinbase_value_sats: 5_000_000_000n };
  const ctx = ctxOf(f);
  const v = (await accountView(ctx, (await ctx.queries.accountByName('alice'))!, NOW))!;
  assert.ok(v.pplns);
  assert.equal(v.pplns.window_difficulty, 1800);
  assert.equal(v.pplns.window_total, 2000);
  assert.equal(v.pplns.share, 0.9);
  // (reward − 1.5 % fee) × 0.9
  assert.equal(v.pplns.next_block_estimate_sats, ((5_000_000_000n - 75_000_000n) * 9n) / 10n);
  assert.equal(v.pplns.credit_sats, 0n);
  f.live.current = null;
  assert.equal(
    (await accountView(ctx, (await ctx.queries.accountByName('alice'))!, NOW))!.pplns,
    null,
    'no template yet',
  );
});

test('solo mode: the account page lists the blocks the address found', async (t) => {
  const f = await startWeb(t, { mode: 'solo' });
  const address = regtestAddress(3);
  await f.store.ensureWorker(address, 'bitaxe', { solo: true });
  await seed(f.store, [share(address, 'bitaxe', 5, NOW - 1000)]);
  await f.store.ledger.recordBlock({
    height: 150,
    hash: '12'.repeat(32),
    account: address,
    worker: 'bitaxe',
    reward_sats: 312_500_000n,
    coinbase_value: 312_500_000n,
    time: NOW - 500,
  });
  const ctx = ctxOf(f);
  const v = (await accountView(ctx, (await ctx.queries.accountByName(address))!, NOW))!;
  assert.equal(v.pplns, null);
  assert.equal(v.payout_address, address);
  assert.deepEqual(
    v.blocks.map((b) => [b.height, b.worker, b.reward_sats, b.status]),
    [[150, 'bitaxe', 312_500_000n, 'pending']],
  );
  const c = new Client(f.web);
  await c.signup(regtestAddress(4), 'solo password 123');
  const page = await c.get('/account');
  assert.match(page.flat, /Your blocks/);
  assert.match(page.flat, /In solo mode the payout address is the account name/);
  assert.ok(!page.flat.includes('action="/account/payout-address"'));
});

test('pool view: expected time to a block from the 1 h hashrate and the network difficulty', async (t) => {
  const f = await startWeb(t);
  await seedAlice(f);
  f.live.current = { ...f.live.current!, difficulty: 2e6 };
  const v = await poolView(ctxOf(f), 'h', NOW);
  assert.ok(v.hashrate_1h > 0);
  assert.equal(v.expected_block_seconds, (2e6 * 2 ** 32) / v.hashrate_1h);
  assert.equal(expectedBlockSeconds(2e6, 0), null);
  assert.deepEqual(
    v.devices.map((d) => [d.family, d.workers]),
    [
      ['Bitaxe', 1],
      ['unknown', 1],
    ],
  );
  assert.equal(v.workers_online, 2);
});

test('stats come from the store: a restarted server shows the same workers and figures', async (t) => {
  const f = await startWeb(t);
  await seedAlice(f);
  const before = (await accountView(ctxOf(f), (await ctxOf(f).queries.accountByName('alice'))!, NOW))!;
  const path = join(f.dir, 'pool.db');
  // A second process-like start on the same database file: new Store, new server, empty live state.
  const store = await Store.open(path);
  const live = new FakeLive();
  t.after(() => store.close());
  const web = await createWebServer({
    store,
    live,
    config: f.config,
    logger: pino({ level: 'silent' }),
    scrypt: TEST_SCRYPT,
  });
  t.after(() => web.close());
  const ctx: WebContext = { store, live, config: f.config, queries: new WebQueries(engineOf(store)) };
  const after = (await accountView(ctx, (await ctx.queries.accountByName('alice'))!, NOW))!;
  const stored = (v: typeof before) =>
    v.workers.map(({ channels: _c, best_share_session: _b, ...w }) => ({ ...w, current_difficulty: null }));
  assert.deepEqual(stored(after), stored(before));
  assert.deepEqual(after.chart, before.chart);
  assert.deepEqual(after.totals, before.totals);
  assert.equal(after.hashrate_24h, before.hashrate_24h);
});

test('/api/miners and device families divide by the same covered time as the account and worker figures', async (t) => {
  const f = await startWeb(t);
  await f.store.ensureWorker('dora', 'cpu', { user_agent: 'cpuminer/2.5' });
  const seen = NOW - 5 * MIN - 7000;
  await engineOf(f.store).run('UPDATE workers SET first_seen = ?', [seen]);
  const times = Array.from({ length: 30 }, (_, i) => seen + 10_000 * (i + 1));
  await seed(
    f.store,
    times.map((time) => share('dora', 'cpu', 50, time)),
    [],
  );
  const q = new WebQueries(engineOf(f.store));
  const expected = (30 * 50 * 2 ** 32) / ((NOW - seen) / 1000);
  const account = (await f.store.stats.accountHashrate('dora', NOW))!;
  assert.equal(account.hashrate_10m, expected);
  const miner = (await q.miners(NOW)).find((m) => m.account === 'dora')!;
  assert.deepEqual(
    [miner.hashrate_10m, miner.hashrate_1h, miner.hashrate_24h],
    [account.hashrate_10m, account.hashrate_1h, account.hashrate_24h],
  );
  assert.equal(miner.workers_online, 1);
  const family = (await q.deviceFamilies(NOW)).find((d) => d.workers === 1)!;
  assert.equal(family.hashrate, expected);
  assert.equal((await f.store.stats.accountWorkers('dora', NOW))![0]!.hashrate_10m, expected);
});
