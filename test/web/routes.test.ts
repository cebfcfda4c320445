// Every route of the web server against a real SQLite store seeded through
// the store's API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { minerJson, statsJson } from '../../src/web/api.js';
import { Client, regtestAddress, seed, share, startWeb } from './fixture.js';

test('home page shows pool figures, connection URLs with the authority key, devices and blocks', async (t) => {
  const f = await startWeb(t, { config: { public_host: 'pool.test' } });
  await f.store.ensureWorker('alice', 'rig1', { user_agent: 'Bitaxe/BM1366/v2.4.0' });
  await f.store.ensureWorker('bob', 'cpu', { user_agent: 'strata-miner/cpu/0.1.0' });
  await seed(
    f.store,
    [share('alice', 'rig1', 1000, Date.now(), 5000), share('bob', 'cpu', 10)],
    [{ account: 'alice', worker: 'rig1', reason: 'stale-share' }],
  );
  await f.store.ledger.recordBlock({
    height: 101,
    hash: 'ab'.repeat(32),
    account: 'alice',
    worker: 'rig1',
    reward_sats: 5_000_000_000n,
    coinbase_value: 5_000_000_000n,
  });
  // Candidates the chain did not keep: counted apart, not in the table.
  for (const [hash, status] of [
    ['c1'.repeat(32), 'orphaned'],
    ['c2'.repeat(32), 'orphaned'],
    ['c3'.repeat(32), 'rejected'],
  ] as const) {
    await f.store.ledger.recordBlock({
      height: 555,
      hash,
      account: 'alice',
      worker: 'rig1',
      reward_sats: 5_000_000_000n,
      coinbase_value: 5_000_000_000n,
      status,
    });
  }
  const c = new Client(f.web);
  const r = await c.get('/');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /text\/html/);
  assert.match(String(r.headers['content-security-policy']), /script-src 'self'/);
  assert.ok(r.body.includes(`stratum2+tcp://pool.test:34254/${f.live.authority_public_key}`));
  assert.ok(r.body.includes('stratum+tcp://pool.test:34255'));
  assert.ok(r.flat.includes(`id="authority-key">${f.live.authority_public_key}<`));
  assert.equal((r.body.match(/data-copy=/g) ?? []).length, 3, 'a copy button per URL and the key');
  assert.match(r.flat, /id="workers-online">2</);
  assert.match(r.flat, /id="shares-accepted">2</);
  assert.match(r.flat, /id="shares-rejected">1</);
  assert.match(r.flat, /id="shares-stale">1</);
  assert.match(r.flat, /id="blocks-found">1</);
  assert.match(r.flat, /id="blocks-off-chain">2 \/ 1</);
  assert.ok(!r.flat.includes('<td class="num">555</td>'), 'off-chain candidates are not listed as found');
  const stats = (await c.get('/api/stats')).json<ReturnType<typeof statsJson>>();
  assert.deepEqual(
    [stats.blocks_found, stats.blocks_orphaned, stats.blocks_rejected, stats.last_block?.height],
    [1, 2, 1, 101],
  );
  const listed = (await c.get('/api/blocks')).json<{ blocks: { height: number; status: string }[] }>();
  assert.deepEqual(listed.blocks.map((b) => b.status).sort(), [
    'orphaned',
    'orphaned',
    'pending',
    'rejected',
  ]);
  const metrics = new Set((await c.get('/metrics')).body.split('\n'));
  for (const want of [
    'strata_blocks{status="pending"} 1',
    'strata_blocks{status="orphaned"} 2',
    'strata_blocks{status="rejected"} 1',
  ])
    assert.ok(metrics.has(want), `missing ${want}`);
  assert.match(r.flat, /id="height">101</);
  assert.match(r.flat, /PPLNS, fee 1.5 %/);
  assert.match(r.flat, /<td class="name">Bitaxe<\/td><td class="num">1<\/td>/);
  assert.match(r.flat, /<td class="name">Strata miner<\/td>/);
  assert.match(r.flat, /<td class="num">101<\/td>/);
  assert.match(r.flat, /<svg class="chart"[^>]*data-points="144"/);
  assert.match(r.flat, /<polyline class="line" points="[0-9., ]+"/);
  assert.match(String(r.headers['set-cookie']), /strata_csrf=.*HttpOnly; SameSite=Strict/);
});

test('the connection host falls back to the Host header, and a hostile one is not reflected', async (t) => {
  const f = await startWeb(t, { config: { sv2_port: 3336 } });
  const c = new Client(f.web);
  const ok = await c.get('/', { host: 'mining.example.org:8080' });
  assert.ok(ok.body.includes('stratum2+tcp://mining.example.org:3336/'));
  const bad = await c.get('/', { host: '"><script>alert(1)</script>' });
  assert.equal(bad.status, 200);
  assert.ok(!bad.body.includes('<script>alert'));
  assert.ok(bad.body.includes('stratum+tcp://pool.example:34255'));
});

test('static assets are served with their types', async (t) => {
  const f = await startWeb(t);
  const c = new Client(f.web);
  const css = await c.get('/style.css');
  assert.equal(css.status, 200);
  assert.match(String(css.headers['content-type']), /text\/css/);
  const js = await c.get('/app.js');
  assert.equal(js.status, 200);
  assert.match(String(js.headers['content-type']), /javascript/);
  assert.match(js.body, /data-copy/);
});

test('GET /login and /signup render forms with a CSRF token; /account needs a login', async (t) => {
  const f = await startWeb(t);
  const c = new Client(f.web);
  for (const path of ['/login', '/signup']) {
    const r = await c.get(path);
    assert.equal(r.status, 200);
    assert.match(r.flat, new RegExp(`<form class="stack" method="post" action="${path}">`));
    assert.ok(c.csrf.length > 20);
  }
  const a = await c.get('/account');
  assert.equal(a.status, 303);
  assert.equal(a.headers.location, '/login');
});

test('GET /api/stats reports the pool from the store and live', async (t) => {
  const f = await startWeb(t);
  f.live.open = [
    {
      account: 'alice',
      worker: 'rig1',
      channel_id: 1,
      user_agent: 'x',
      difficulty: 512,
      best_share_difficulty: 0,
    },
  ];
  f.live.connectionCount = 1;
  const now = Date.now();
  await seed(f.store, [
    share('alice', 'rig1', 600, now - 1000),
    share('alice', 'rig1', 600, now - 500, 9000),
  ]);
  const c = new Client(f.web);
  const r = await c.get('/api/stats');
  assert.equal(r.status, 200);
  const s = r.json<ReturnType<typeof statsJson>>();
  assert.equal(s.workers, 1);
  assert.equal(s.workers_online, 1);
  assert.equal(s.connections, 1);
  assert.equal(s.channels, 1);
  assert.deepEqual(s.shares, { accepted: 2, rejected: 0, stale: 0, rejected_by_reason: {} });
  assert.equal(s.best_share!.difficulty, 9000);
  assert.equal(s.best_share!.worker, 'rig1');
  assert.ok(s.hashrate['10m'] > 0 && s.hashrate['1h'] > 0 && s.hashrate['24h'] > 0);
  assert.equal(s.network.height, 101);
  assert.equal(s.network.nbits, '207fffff');
  assert.equal(s.payout_mode, 'pplns');
  assert.equal(s.chart.length, 144);
  // Expected time to a block = network difficulty × 2^32 / hashrate (1 h window).
  assert.ok(
    Math.abs(s.expected_block_seconds! - (s.network.difficulty! * 2 ** 32) / s.hashrate['1h']) < 1e-9,
  );
  assert.equal(s.connect.authority_public_key, f.live.authority_public_key);
});

test('GET /api/blocks pages newest first and bounds the limit', async (t) => {
  const f = await startWeb(t);
  for (let i = 0; i < 5; i++) {
    await f.store.ledger.recordBlock({
      height: 100 + i,
      hash: String(i).repeat(64),
      account: null,
      worker: null,
      reward_sats: 1000n,
      coinbase_value: 1000n,
      time: 1_700_000_000_000 + i,
    });
  }
  const c = new Client(f.web);
  const all = (await c.get('/api/blocks')).json<{ blocks: { height: number; reward_sats: number }[] }>();
  assert.deepEqual(
    all.blocks.map((b) => b.height),
    [104, 103, 102, 101, 100],
  );
  assert.equal(all.blocks[0]!.reward_sats, 1000);
  const page = (await c.get('/api/blocks?limit=2&offset=1')).json<{ blocks: { height: number }[] }>();
  assert.deepEqual(
    page.blocks.map((b) => b.height),
    [103, 102],
  );
  const silly = await c.get('/api/blocks?limit=100000&offset=-5');
  assert.equal(silly.status, 200);
  assert.equal(silly.json<{ blocks: unknown[] }>().blocks.length, 5);
});

test('GET /api/miners ranks accounts by 24 h hashrate; /api/miner/:account is public and omits payout details', async (t) => {
  const f = await startWeb(t);
  await f.store.ensureAccount('alice', { payout_address: regtestAddress(1) });
  await seed(f.store, [share('alice', 'a', 100), share('bob', 'b1', 1000), share('bob', 'b2', 1000)]);
  const c = new Client(f.web);
  const m = (await c.get('/api/miners')).json<{
    miners: { account: string; workers_online: number; hashrate: Record<string, number> }[];
  }>();
  assert.ok(m.miners.every((x) => x.hashrate['10m']! > 0 && x.hashrate['24h']! > 0));
  assert.deepEqual(
    m.miners.map((x) => [x.account, x.workers_online]),
    [
      ['bob', 2],
      ['alice', 1],
    ],
  );
  const alice = await c.get('/api/miner/alice');
  assert.equal(alice.status, 200);
  const a = alice.json<ReturnType<typeof minerJson> & { payout_address?: string }>();
  assert.equal(a.account, 'alice');
  assert.equal(a.workers.length, 1);
  assert.equal(a.workers[0]!.name, 'a');
  assert.equal(a.payout_address, undefined);
  assert.ok(!alice.body.includes(regtestAddress(1)));
  const none = await c.get('/api/miner/nobody');
  assert.equal(none.status, 404);
  assert.deepEqual(none.json(), { error: 'unknown account' });
});

test('GET /api/account needs a session', async (t) => {
  const f = await startWeb(t);
  const c = new Client(f.web);
  const r = await c.get('/api/account');
  assert.equal(r.status, 401);
  assert.deepEqual(r.json(), { error: 'log in first' });
});

test('GET /healthz answers with the database and template state', async (t) => {
  const f = await startWeb(t);
  const c = new Client(f.web);
  const r = await c.get('/healthz');
  assert.equal(r.status, 200);
  const h = r.json<{ ok: boolean; database: boolean; template_age_seconds: number }>();
  assert.equal(h.ok, true);
  assert.equal(h.database, true);
  assert.ok(h.template_age_seconds >= 0);
});

test('GET /metrics exports shares, blocks, channels, connections, hashrate, template age and vardiff', async (t) => {
  const f = await startWeb(t);
  await seed(
    f.store,
    [share('alice', 'rig1', 100), share('alice', 'rig1', 100)],
    [
      { account: 'alice', worker: 'rig1', reason: 'stale-share' },
      { account: 'alice', worker: 'rig1', reason: 'difficulty-too-low' },
    ],
  );
  await f.store.ledger.recordBlock({
    height: 7,
    hash: 'cd'.repeat(32),
    account: 'alice',
    worker: 'rig1',
    reward_sats: 1n,
    coinbase_value: 1n,
  });
  f.live.counters.connections_total = 3;
  f.live.counters.vardiff_adjustments = 4;
  f.live.counters.share('accepted');
  f.live.counters.share('stale-share');
  f.live.connectionCount = 2;
  f.live.open = [
    {
      account: 'alice',
      worker: 'rig1',
      channel_id: 1,
      user_agent: '',
      difficulty: 1,
      best_share_difficulty: 0,
    },
  ];
  const c = new Client(f.web);
  const r = await c.get('/metrics');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /text\/plain/);
  const lines = new Set(r.body.split('\n'));
  for (const want of [
    'strata_shares_total{result="accepted"} 2',
    'strata_shares_total{result="stale-share"} 1',
    'strata_shares_total{result="difficulty-too-low"} 1',
    'strata_shares_judged_total{result="accepted"} 1',
    'strata_blocks{status="pending"} 1',
    'strata_channels 1',
    'strata_connections 2',
    'strata_connections_total 3',
    'strata_vardiff_adjustments_total 4',
    'strata_workers_online 1',
    'strata_block_height 101',
  ]) {
    assert.ok(lines.has(want), `missing ${want}`);
  }
  assert.match(r.body, /^strata_hashrate_hashes_per_second\{window="10m"\} [0-9.e+]+$/m);
  assert.match(r.body, /^strata_template_age_seconds [0-9.]+$/m);
});

test('unknown paths answer 404 as a page or as JSON under /api', async (t) => {
  const f = await startWeb(t);
  const c = new Client(f.web);
  const page = await c.get('/nothing-here');
  assert.equal(page.status, 404);
  assert.match(page.body, /There is no such page/);
  const api = await c.get('/api/nothing');
  assert.equal(api.status, 404);
  assert.deepEqual(api.json(), { error: 'not found' });
});
