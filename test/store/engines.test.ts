// The store's writes on both engines: SQLite (a file) and PostgreSQL (a
// throwaway server, test/helpers/postgres.ts); the stats, ledger and window
// suites run on both too. Then what only PostgreSQL allows: two pool
// processes' stores on one database, and moving a SQLite history into
// PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, Store, type ShareInput } from '../../src/store/index.js';
import { copySqliteToPostgres } from '../../src/store/copy.js';
import { startPostgres } from '../helpers/postgres.js';
import { tempDbPath } from './tmp.js';
import { HISTORY } from './pplns-history.js';
import { ENGINES, storeLocation } from './engines.js';

const HASH_A = 'aa'.repeat(32);

function share(account: string, difficulty: number, i: number, worker = 'w'): ShareInput {
  return { account, worker, difficulty, share_difficulty: difficulty, channel_id: 1, job_id: i };
}

async function record(store: Store, history: readonly [string, number][]): Promise<number[]> {
  const p = history.map(([account, difficulty], i) => store.enqueue(share(account, difficulty, i)));
  await store.flush();
  return Promise.all(p);
}

for (const engine of ENGINES) {
  test(`${engine}: acknowledged shares, rejects and worker counters are stored; names are case-insensitive`, async (t) => {
    const where = await storeLocation(t, engine);
    const store = await Store.open(where, { flush_interval_ms: 3_600_000 });
    const ids = await record(store, [
      ['alice', 8],
      ['Alice', 16],
      ['bob', 4],
    ]);
    assert.equal(new Set(ids).size, 3);
    assert.deepEqual(
      [...ids].sort((a, b) => a - b),
      ids,
      'ids rise in commit order',
    );
    const rejected = store.reject({ account: 'ALICE', worker: 'w', reason: 'stale-share' });
    await store.flush();
    await rejected;
    assert.equal((await store.getAccount('aLiCe'))?.name, 'alice', 'the first spelling is kept');
    const workers = await store.engine.all<{
      name: string;
      accepted: number;
      rejected: number;
      best: number;
    }>(
      `SELECT a.name, w.accepted, w.rejected, w.best_share_difficulty AS best
       FROM workers w JOIN accounts a ON a.id = w.account_id ORDER BY a.name`,
    );
    assert.deepEqual(workers, [
      { name: 'alice', accepted: 2, rejected: 1, best: 16 },
      { name: 'bob', accepted: 1, rejected: 0, best: 4 },
    ]);
    const pool = await store.engine.get<{ d: number; a: number; r: number }>(
      'SELECT SUM(accepted_difficulty) AS d, SUM(accepted) AS a, SUM(rejected) AS r FROM stats_pool_1m',
    );
    assert.deepEqual(pool, { d: 28, a: 3, r: 1 });
    await store.close();
    // Reopening finds everything and applies no migration again.
    const again = await Store.open(where);
    t.after(() => again.close());
    assert.equal((await again.engine.get<{ n: number }>('SELECT COUNT(*) AS n FROM shares'))?.n, 3);
    assert.equal(
      (await again.engine.get<{ v: number }>('SELECT MAX(version) AS v FROM schema_version'))?.v,
      3,
    );
  });
}

/** Two stores writing one database, as two pool processes do: every share once, one window, one block. */
async function twoWriters(a: Store, b: Store, together: boolean): Promise<void> {
  const versions = await a.engine.all<{ version: number }>(
    'SELECT version FROM schema_version ORDER BY version',
  );
  assert.deepEqual(
    versions.map((v) => v.version),
    [1, 2, 3],
  );
  // 400 shares from each process, interleaved in time; the same new account on both sides.
  const acked: number[] = [];
  const sends: Promise<number>[] = [];
  for (let i = 0; i < 400; i++) {
    sends.push(a.enqueue(share(i % 2 ? 'alice' : 'Shared', 1 + (i % 5), i, 'a')));
    sends.push(b.enqueue(share(i % 3 ? 'bob' : 'shared', 1 + (i % 7), i, 'b')));
    if (i % 50 === 0) await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all([a.flush(), b.flush()]);
  acked.push(...(await Promise.all(sends)));
  assert.equal(new Set(acked).size, 800, 'every acknowledged share has its own row');
  const stored = await a.engine.get<{ n: number; accounts: number }>(
    'SELECT COUNT(*) AS n, (SELECT COUNT(*) FROM accounts) AS accounts FROM shares',
  );
  assert.deepEqual(
    stored,
    { n: 800, accounts: 3 },
    'one row per share; "Shared" and "shared" are one account',
  );
  // Each process's window is the shared table's: the same answer, and the definition's.
  const total = (await a.engine.get<{ d: number }>('SELECT SUM(difficulty) AS d FROM shares'))!.d;
  const netDiff = total / 3;
  const wa = await a.pplnsWindow(netDiff);
  const wb = await b.pplnsWindow(netDiff);
  assert.deepEqual(wa, wb);
  const rows = await a.engine.all<{ name: string; difficulty: number }>(
    'SELECT a.name, s.difficulty FROM shares s JOIN accounts a ON a.id = s.account_id ORDER BY s.id DESC',
  );
  const brute = new Map<string, number>();
  let sum = 0;
  for (const r of rows) {
    if (sum >= netDiff) break;
    const take = Math.min(r.difficulty, netDiff - sum);
    brute.set(r.name, (brute.get(r.name) ?? 0) + take);
    sum += take;
  }
  for (const e of wa.window)
    assert.ok(Math.abs(e.difficulty - (brute.get(e.account) ?? 0)) < 1e-9, e.account);
  assert.equal(wa.window.length, brute.size);
  // A block both processes see is recorded once.
  const block = {
    height: 7,
    hash: HASH_A,
    account: 'alice',
    worker: 'a',
    reward_sats: 1n,
    coinbase_value: 1n,
  };
  // (One after the other on SQLite: two connections of one thread cannot wait on each other.)
  const both = together
    ? await Promise.all([a.ledger.recordBlock(block), b.ledger.recordBlock(block)])
    : [await a.ledger.recordBlock(block), await b.ledger.recordBlock(block)];
  assert.deepEqual(both.sort(), [false, true], 'exactly one of them records it');
}

test('postgres: two pool processes on one database credit every share once and see one window', async (t) => {
  const url = await (await startPostgres(t)).createDatabase();
  // Both open at once: the migrations run once, under their advisory lock.
  const [a, b] = await Promise.all([
    Store.open(url, { pplns_window_factor: 1, flush_interval_ms: 5, max_batch: 50 }),
    Store.open(url, { pplns_window_factor: 1, flush_interval_ms: 5, max_batch: 50 }),
  ]);
  t.after(() => Promise.all([a.close(), b.close()]));
  await twoWriters(a, b, true);
});

test('sqlite with shared_writers (pool workers): two writers of one file credit every share once and see one window', async (t) => {
  const path = tempDbPath(t);
  const options = { pplns_window_factor: 1, flush_interval_ms: 5, max_batch: 50, shared_writers: true };
  const a = await Store.open(path, options);
  const b = await Store.open(path, options);
  t.after(() => Promise.all([a.close(), b.close()]));
  await twoWriters(a, b, false);
});

test('sqlite without shared_writers: the window takes only its own commits (one pool process)', async (t) => {
  const path = tempDbPath(t);
  const a = await Store.open(path, { pplns_window_factor: 1, flush_interval_ms: 5 });
  const b = await Store.open(path, { pplns_window_factor: 1, flush_interval_ms: 5 });
  t.after(() => Promise.all([a.close(), b.close()]));
  await Promise.all([a.enqueue(share('alice', 1, 1, 'a')), b.enqueue(share('bob', 1, 1, 'b'))]);
  await Promise.all([a.flush(), b.flush()]);
  const w = await a.pplnsWindow(10);
  assert.deepEqual(
    w.window.map((e) => e.account),
    ['alice'],
  );
});

test('strata pool db migrate: a SQLite history copied into PostgreSQL reads back the same', async (t) => {
  const path = tempDbPath(t);
  const sqlite = await Store.open(path, { pplns_window_factor: 2 });
  await record(sqlite, HISTORY);
  await sqlite.reject({ account: 'bob', worker: 'w', reason: 'difficulty-too-low' });
  await sqlite.flush();
  await sqlite.setPasswordHash('alice', 'scrypt$hash');
  await sqlite.ledger.recordBlock({
    height: 5,
    hash: HASH_A,
    account: 'alice',
    worker: 'w',
    reward_sats: 100n,
    coinbase_value: 120n,
  });
  const window = await sqlite.pplnsWindow(50);
  const blocks = await sqlite.ledger.blocks();
  await sqlite.close();

  const url = await (await startPostgres(t)).createDatabase();
  const db = openDatabase(path);
  const tables: string[] = [];
  const result = await copySqliteToPostgres(db, url, (p) => tables.push(`${p.table}:${p.rows}`));
  assert.equal(result.schema_version, 3);
  assert.ok(tables.includes('shares:7'), tables.join(' '));
  assert.ok(tables.includes('accounts:4'), tables.join(' '));
  // A second copy into the same database is refused (it holds pool data now).
  await assert.rejects(copySqliteToPostgres(db, url), /already holds pool data/);
  db.close();

  const pg = await Store.open(url, { pplns_window_factor: 2 });
  t.after(() => pg.close());
  assert.deepEqual(await pg.pplnsWindow(50), window);
  assert.deepEqual(await pg.ledger.blocks(), blocks);
  assert.equal((await pg.getAccount('ALICE'))?.password_hash, 'scrypt$hash');
  // New rows continue after the copied ids.
  const [id] = await record(pg, [['erin', 1]]);
  assert.equal(id, 8);
});
