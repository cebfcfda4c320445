// Two pool processes on one PostgreSQL database ([database] url), each with
// its own miners, one of them killed with SIGKILL mid-stream: every share a
// miner saw acknowledged is stored, none twice, both pools' accounts are one
// set, and the PPLNS window (and the payouts it gives) is the one a SQLite
// store computes from the same history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as yieldNow } from 'node:timers/promises';
import { computePplnsPayouts, Store } from '../../src/store/index.js';
import { startPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/resources.js';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  MiningClient,
  poolAccountCli,
  poolCommand,
  startPool,
  startStack,
  targetOf,
  type Cleanup,
  type PoolProcess,
  type Stack,
} from './fixture.js';

const POOL_FLAGS = ['--shares-per-minute', '60', '--vardiff-interval', '0', '--share-batch-size', '5'];

interface Miner {
  name: string;
  client: MiningClient;
  sent: number;
  stop: () => Promise<void>;
}

/** Opens an extended channel as `name` and pipelines shares until stopped or disconnected. */
async function mine(t: Cleanup, s: Stack, pool: PoolProcess, name: string): Promise<Miner> {
  const client = await MiningClient.connect(t, pool.port, s.poolKeys);
  assert.equal((await client.setup()).type, 'SetupConnectionSuccess');
  const open = await client.openExtended(name);
  if (open.type !== 'OpenExtendedMiningChannelSuccess') assert.fail(`open failed: ${JSON.stringify(open)}`);
  const work = await client.activeWork();
  const target = targetOf(open.target);
  const m: Miner = { name, client, sent: 0, stop: async () => {} };
  let sending = true;
  const loop = (async () => {
    // Bounded: stopped (or the pool killed) long before this many shares.
    for (let i = 0; i < 100_000 && sending && !client.conn.isClosed; i++) {
      if (m.sent - client.acknowledged >= 40) {
        await client.next((x) => x.type === 'SubmitSharesSuccess', 2000).catch(() => undefined);
        continue;
      }
      try {
        await client.send(client.mine(open, work, target, 'share'));
      } catch {
        break;
      }
      m.sent++;
      if (i % 16 === 0) await yieldNow();
    }
  })();
  m.stop = async () => {
    sending = false;
    await loop;
  };
  return m;
}

/** Waits (bounded, 60 s) until `ok()` holds; the miners' own loops read their messages meanwhile. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
  if (!ok()) assert.fail(`timed out waiting for ${what}`);
}

test('two pools on one PostgreSQL database: shares credited once, none lost to a SIGKILL, one PPLNS window', async (t) => {
  const url = await (await startPostgres(t)).createDatabase();
  const s = await startStack(t);
  poolAccountCli(['add', 'dave', '--database-url', url]);
  poolAccountCli(['add', 'erin', '--database-url', url]);
  const flags = (id: number) => [...POOL_FLAGS, '--database-url', url, '--server-id', String(id)];
  const [a, b] = await Promise.all([startPool(t, s, flags(1)), startPool(t, s, flags(2))]);

  const miners = [
    await mine(t, s, a, 'dave.a'),
    await mine(t, s, a, 'erin.a'),
    await mine(t, s, b, 'dave.b'),
    await mine(t, s, b, 'erin.b'),
  ];
  // Both pools have acknowledged work; then pool a dies mid-stream.
  for (const m of miners) await until(() => m.client.acknowledged >= 200, `${m.name}: 200 acknowledged`);
  await a.proc.kill();
  await Promise.all(miners.slice(0, 2).map((m) => m.client.conn.closed));
  // Pool b keeps crediting after a's death.
  const bAcked = miners[2]!.client.acknowledged;
  await until(() => miners[2]!.client.acknowledged >= bAcked + 100, 'pool b crediting after the kill');
  for (const m of miners) await m.stop();
  await b.proc.stop();

  const store = await Store.open(url);
  t.after(() => store.close());
  const rows = await store.engine.all<{ worker: string; account: string; n: number }>(
    `SELECT w.name AS worker, a.name AS account, COUNT(*) AS n FROM shares s
     JOIN workers w ON w.id = s.worker_id JOIN accounts a ON a.id = s.account_id
     GROUP BY w.name, a.name ORDER BY a.name, w.name`,
  );
  const stored = new Map(rows.map((r) => [`${r.account}.${r.worker}`, r.n]));
  for (const m of miners) {
    const n = stored.get(m.name) ?? 0;
    t.diagnostic(`${m.name}: sent ${m.sent}, acknowledged ${m.client.acknowledged}, stored ${n}`);
    assert.ok(n >= m.client.acknowledged, `${m.name}: ${n} stored < ${m.client.acknowledged} acknowledged`);
    assert.ok(n <= m.sent, `${m.name}: ${n} stored > ${m.sent} sent (a share stored twice)`);
  }
  const accounts = await store.engine.all<{ name: string }>('SELECT name FROM accounts ORDER BY name');
  assert.deepEqual(
    accounts.map((r) => r.name),
    ['dave', 'erin'],
  );

  // The same history replayed into a SQLite store gives the same window and payouts.
  const history = await store.engine.all<{ account: string; worker: string; difficulty: number }>(
    `SELECT a.name AS account, w.name AS worker, s.difficulty FROM shares s
     JOIN workers w ON w.id = s.worker_id JOIN accounts a ON a.id = s.account_id ORDER BY s.id`,
  );
  const replay = await Store.open(join(tempDir(t, 'strata-replay-'), 'pool.db'), {
    flush_interval_ms: 3_600_000,
  });
  t.after(() => replay.close());
  const acks = history.map((h, i) =>
    replay.enqueue({ ...h, share_difficulty: h.difficulty, channel_id: 1, job_id: i }),
  );
  await replay.flush();
  await Promise.all(acks);
  const total = history.reduce((sum, h) => sum + h.difficulty, 0);
  const networkDifficulty = total / 5; // factor 2: the window covers 40 % of the history
  const fromPg = await store.pplnsWindow(networkDifficulty);
  const fromSqlite = await replay.pplnsWindow(networkDifficulty);
  assert.equal(fromPg.window.length, 2);
  assert.deepEqual(fromPg, fromSqlite);
  const pay = (w: typeof fromPg) =>
    computePplnsPayouts({
      window: w.window,
      reward_sats: 312_500_000n,
      pool_fee_percent: 1,
      max_outputs: 4,
      dust_limit_sats: 546n,
      credits: new Map(),
      pool_payout_script: new Uint8Array([0x51]),
      payout_scripts: new Map(),
    });
  assert.deepEqual(pay(fromPg), pay(fromSqlite));
});

test('strata pool db migrate --to: refuses a bad URL and a missing file, copies a pool database, and the pool runs on the copy', async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', 'dave', '--database', s.db]);
  const pool = await startPool(t, s, POOL_FLAGS);
  const m = await mine(t, s, pool, 'dave.rig');
  await until(() => m.client.acknowledged >= 50, 'dave.rig: 50 acknowledged');
  await m.stop();
  await pool.proc.stop();

  const cli = (args: string[]) =>
    spawnSync(process.execPath, poolCommand(['db', 'migrate', ...args]), { encoding: 'utf8' });
  const bad = cli(['--database', s.db, '--to', 'mysql://x/y']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--to must be a postgres:\/\/ URL/);
  const missing = cli(['--database', join(s.dir, 'none.db'), '--to', 'postgres://x@/y']);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /no SQLite database at/);

  const url = await (await startPostgres(t)).createDatabase();
  const done = cli(['--database', s.db, '--to', url]);
  assert.equal(done.status, 0, done.stderr);
  assert.match(done.stdout, /^accounts: 1 rows$/m);
  assert.match(done.stdout, /copied \d+ rows in \d+ tables \(schema version 3\)/);
  const again = cli(['--database', s.db, '--to', url]);
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already holds pool data/);

  const onPg = await startPool(t, s, [...POOL_FLAGS, '--database-url', url]);
  const m2 = await mine(t, s, onPg, 'dave.rig');
  await until(() => m2.client.acknowledged >= 10, 'dave.rig on PostgreSQL: 10 acknowledged');
  await m2.stop();
  await onPg.proc.stop();
  const store = await Store.open(url);
  t.after(() => store.close());
  const row = await store.engine.get<{ n: number; workers: number }>(
    'SELECT COUNT(*) AS n, (SELECT COUNT(*) FROM workers) AS workers FROM shares',
  );
  assert.ok(row!.n >= m.client.acknowledged + m2.client.acknowledged, JSON.stringify(row));
  assert.equal(row!.workers, 1, 'the copied worker row is reused');
});

test('a PostgreSQL server that cannot be reached is one clear line naming the database, without its password', () => {
  const r = spawnSync(
    process.execPath,
    poolCommand([
      'account',
      'list',
      '--database-url',
      'postgres://strata:hunter2@/nodb?host=/nonexistent-socket-dir',
    ]),
    { encoding: 'utf8' },
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot open the pool's database postgres:\/\/strata:\*\*\*@\/nodb/);
  assert.doesNotMatch(r.stderr, /hunter2/);
});
