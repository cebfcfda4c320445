// The shared snapshot of pool-wide figures: one reading serves every public
// request within `[web] stats_cache`, while the request's own parts (host,
// live counts) and everything per account stay fresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.js';
import type { minerJson, statsJson } from '../../src/web/api.js';
import { defaultWebConfig, WEB_SCHEMA } from '../../src/web/config.js';
import { Expiring } from '../../src/web/snapshot.js';
import { Client, seed, share, startWeb } from './fixture.js';

type Stats = ReturnType<typeof statsJson>;

test('pool-wide figures are shared within stats_cache; connect host, live counts and account figures are not', async (t) => {
  // A long lifetime, so the test never sees it expire.
  const f = await startWeb(t, { config: { stats_cache: 3600 } });
  await seed(f.store, [share('alice', 'rig1', 100)]);
  const c = new Client(f.web);
  const first = (await c.get('/api/stats', { host: 'one.example' })).json<Stats>();
  assert.equal(first.shares.accepted, 1);
  assert.equal(first.connect.host, 'one.example');
  assert.equal((await c.get('/api/miners')).json<{ miners: unknown[] }>().miners.length, 1);

  await seed(f.store, [share('alice', 'rig1', 100), share('bob', 'b1', 100)]);
  f.live.connectionCount = 7;
  const second = (await c.get('/api/stats', { host: 'two.example' })).json<Stats>();
  assert.equal(second.shares.accepted, 1, 'the shared reading is reused');
  assert.equal(second.workers, 1);
  assert.equal(second.time, first.time);
  assert.equal(second.connect.host, 'two.example', 'the host is the request’s, never the cached one');
  assert.equal(second.connections, 7, 'live figures are read per request');
  assert.equal((await c.get('/api/miners')).json<{ miners: unknown[] }>().miners.length, 1);
  assert.match((await c.get('/metrics')).body, /^strata_shares_total\{result="accepted"\} 1$/m);

  // Per-account figures never come from the shared reading.
  const alice = (await c.get('/api/miner/alice')).json<ReturnType<typeof minerJson>>();
  assert.equal(alice.totals.accepted, 2);
  assert.equal((await c.get('/api/miner/bob')).status, 200);
});

test('stats_cache = 0 reads the store on every request', async (t) => {
  const f = await startWeb(t, { config: { stats_cache: 0 } });
  await seed(f.store, [share('alice', 'rig1', 100)]);
  const c = new Client(f.web);
  assert.equal((await c.get('/api/stats')).json<Stats>().shares.accepted, 1);
  await seed(f.store, [share('alice', 'rig1', 100), share('bob', 'b1', 100)]);
  const s = (await c.get('/api/stats')).json<Stats>();
  assert.equal(s.shares.accepted, 3);
  assert.equal(s.workers, 2);
  assert.equal((await c.get('/api/miners')).json<{ miners: unknown[] }>().miners.length, 2);
  assert.match((await c.get('/metrics')).body, /^strata_shares_total\{result="accepted"\} 3$/m);
});

test('[web] stats_cache: 1 s by default, durations accepted, bounded', () => {
  const schema = { web: WEB_SCHEMA };
  const opts = { source: 'pool.toml', baseDir: '.' };
  assert.equal(parseConfig(schema, '', opts).web.stats_cache, 1);
  assert.equal(defaultWebConfig().stats_cache, 1);
  assert.equal(parseConfig(schema, '[web]\nstats_cache = "500ms"\n', opts).web.stats_cache, 0.5);
  assert.equal(parseConfig(schema, '[web]\nstats_cache = 0\n', opts).web.stats_cache, 0);
  assert.throws(() => parseConfig(schema, '[web]\nstats_cache = -1\n', opts), /web\.stats_cache/);
});

test('concurrent readings share the one under way; a failed one is not kept', async () => {
  let calls = 0;
  let release!: (v: number) => void;
  let fail = false;
  const e = new Expiring<number>(1000, (now) => {
    calls++;
    if (fail) return Promise.reject(new Error('store unavailable'));
    return new Promise<number>((resolve) => (release = () => resolve(now)));
  });
  const a = e.get(0);
  const b = e.get(10);
  const c = e.get(5000); // older than ttl by its clock, but the reading under way is the newest there is
  assert.equal(calls, 1);
  release(0);
  assert.deepEqual(await Promise.all([a, b, c]), [0, 0, 0]);
  assert.equal(await e.get(999), 0, 'served within ttl');
  assert.equal(calls, 1);
  fail = true;
  await assert.rejects(e.get(1000), /store unavailable/);
  await assert.rejects(e.get(1001), /store unavailable/, 'the failure is not kept: read again');
  assert.equal(calls, 3);
  fail = false;
  const d = e.get(1002);
  release(1002);
  assert.equal(await d, 1002);

  // ttl 0: every call that does not meet a reading under way reads again.
  let n = 0;
  const zero = new Expiring<number>(0, async () => ++n);
  const [x, y] = await Promise.all([zero.get(0), zero.get(0)]);
  assert.deepEqual([x, y], [1, 1]);
  assert.equal(await zero.get(0), 2);
});
