// The throwaway PostgreSQL cluster the store's tests run on: it starts,
// serves databases through the store's PostgreSQL engine over its unix
// socket, and leaves nothing behind when it stops.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { PostgresEngine } from '../../src/store/sql.js';
import { startNode } from './process.js';
import { isProcessAlive, postgresBinDir, startPostgres, startPostgresCluster } from './postgres.js';

test('the server programs are found', () => {
  const bin = postgresBinDir();
  assert.ok(existsSync(`${bin}/initdb`), bin);
});

test('a cluster: two databases through PostgresEngine, transactions, placeholders, numbers; nothing left after stop', async (t) => {
  const cluster = await startPostgresCluster();
  // Stops even when an assertion below fails (stop() is idempotent).
  t.after(() => cluster.stop());
  t.diagnostic(`cluster started in ${cluster.startupMs} ms`);
  assert.ok(isProcessAlive(cluster.pid));
  assert.match(cluster.url('x'), /^postgres:\/\/strata@\/x\?host=%2F/);

  const urlA = await cluster.createDatabase();
  const urlB = await cluster.createDatabase('second_db');
  assert.notEqual(urlA, urlB);
  const a = new PostgresEngine(urlA);
  const b = new PostgresEngine(urlB);
  let closed: Promise<unknown> | undefined;
  const close = () => (closed ??= Promise.all([a.close(), b.close()]));
  t.after(close);

  assert.deepEqual(await a.get('SELECT 1 AS one'), { one: 1 });
  assert.deepEqual(await a.get<{ db: string }>('SELECT current_database() AS db'), {
    db: new URL(urlA.replace('@/', '@h/')).pathname.slice(1),
  });
  assert.deepEqual(await b.get('SELECT current_database() AS db'), { db: 'second_db' });
  // No TCP port: the server listens on its socket only.
  assert.deepEqual(await a.get("SELECT current_setting('listen_addresses') AS l"), { l: '' });

  // Case-insensitive account names: an ICU nondeterministic collation.
  await a.run("CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)");
  await a.run(
    'CREATE TABLE accounts (id BIGSERIAL PRIMARY KEY, name TEXT COLLATE nocase NOT NULL UNIQUE, balance NUMERIC NOT NULL)',
  );
  assert.equal(
    await a.run('INSERT INTO accounts (name, balance) VALUES (?, ?), (?, ?)', ['Alice', 5, 'bob', 7]),
    2,
  );
  await assert.rejects(
    a.run('INSERT INTO accounts (name, balance) VALUES (?, ?)', ['ALICE', 1]),
    /duplicate key/,
  );
  assert.deepEqual(await a.get('SELECT id, name FROM accounts WHERE name = ?', ['aLiCe']), {
    id: 1,
    name: 'Alice',
  });

  // Placeholders numbered in order; int8 and numeric come back as numbers.
  const row = await a.get<{ s: number; n: number; t: string; c: number }>(
    'SELECT ?::bigint + ?::bigint AS s, ?::numeric AS n, ?::text AS t, count(*) AS c FROM accounts WHERE balance > ?',
    [2 ** 40, 1, '123.5', 'third', 6],
  );
  assert.deepEqual(row, { s: 2 ** 40 + 1, n: 123.5, t: 'third', c: 1 });
  assert.deepEqual(await a.all('SELECT name, balance FROM accounts ORDER BY id'), [
    { name: 'Alice', balance: 5 },
    { name: 'bob', balance: 7 },
  ]);

  // A transaction that commits and one that rolls back.
  const moved = await a.transaction(async (q) => {
    await q.run('UPDATE accounts SET balance = balance - ? WHERE name = ?', [2, 'bob']);
    await q.run('UPDATE accounts SET balance = balance + ? WHERE name = ?', [2, 'alice']);
    return q.get<{ total: number }>('SELECT sum(balance) AS total FROM accounts');
  });
  assert.deepEqual(moved, { total: 12 });
  await assert.rejects(
    a.transaction(async (q) => {
      await q.run('UPDATE accounts SET balance = 0');
      assert.deepEqual(await q.get('SELECT sum(balance) AS total FROM accounts'), { total: 0 });
      throw new Error('undo');
    }),
    /undo/,
  );
  assert.deepEqual(await a.all('SELECT name, balance FROM accounts ORDER BY id'), [
    { name: 'Alice', balance: 7 },
    { name: 'bob', balance: 5 },
  ]);
  // The databases are separate.
  await assert.rejects(b.get('SELECT * FROM accounts'), /does not exist/);

  await close();
  const { pid, dir } = cluster;
  await cluster.stop();
  assert.equal(isProcessAlive(pid), false, `postmaster ${pid} still running`);
  assert.equal(existsSync(dir), false, `${dir} still there`);
});

test('the shared cluster: one per process, a database per test, dropped when the test ends', async (t) => {
  let dropped = '';
  await t.test('first', async (t) => {
    const pg = await startPostgres(t);
    const url = await pg.createDatabase();
    dropped = url;
    const e = new PostgresEngine(url);
    t.after(() => e.close());
    assert.deepEqual(await e.get('SELECT 2 AS two'), { two: 2 });
  });
  await t.test('second', async (t) => {
    const pg = await startPostgres(t);
    const again = await startPostgres();
    assert.equal(pg.pid, again.pid);
    const e = new PostgresEngine(pg.url());
    t.after(() => e.close());
    const name = new URL(dropped.replace('@/', '@h/')).pathname.slice(1);
    assert.equal(await e.get('SELECT datname FROM pg_database WHERE datname = ?', [name]), undefined);
  });
});

test('a process killed with SIGKILL leaves no server and no directory behind', async (t) => {
  const moduleUrl = pathToFileURL(new URL('./postgres.js', import.meta.url).pathname).href;
  const code = `
    const { startPostgres } = await import(${JSON.stringify(moduleUrl)});
    const pg = await startPostgres();
    console.log(JSON.stringify({ msg: 'started', pid: pg.pid, dir: pg.dir }));
    setInterval(() => {}, 1000);
  `;
  const proc = startNode(['--input-type=module', '-e', code]);
  t.after(() => proc.kill());
  const rec = await proc.waitFor((r) => r.msg === 'started', 120_000);
  const pid = rec.pid as number;
  const dir = rec.dir as string;
  assert.ok(isProcessAlive(pid));
  await proc.kill();
  // The watchdog sees its pipe close and takes the server down (bounded wait).
  for (let i = 0; i < 300 && (isProcessAlive(pid) || existsSync(dir)); i++) await sleep(100);
  assert.equal(isProcessAlive(pid), false, `postmaster ${pid} outlived its test process`);
  assert.equal(existsSync(dir), false, `${dir} outlived its test process`);
});

after(async () => {
  const pg = await startPostgres();
  const { pid, dir } = pg;
  await pg.stop();
  assert.equal(isProcessAlive(pid), false);
  assert.equal(existsSync(dir), false);
});
