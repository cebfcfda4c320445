import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate, openDatabase, schemaVersion, Store } from '../../src/store/index.js';
import { DEFAULT_CACHE_MB } from '../../src/store/db.js';
import { tempDbPath } from './tmp.js';

test('a fresh database gets every migration, WAL mode and the chosen synchronous level', async (t) => {
  const path = tempDbPath(t);
  const db = openDatabase(path);
  t.after(() => db.close());
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));
  assert.equal(schemaVersion(db), latest);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('synchronous', { simple: true }), 1); // NORMAL
  const tables = (
    db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]
  ).map((r) => r.name);
  for (const name of [
    'schema_version',
    'accounts',
    'workers',
    'shares',
    'rejects',
    'reject_totals',
    'stats_pool_1m',
    'stats_account_10m',
    'stats_worker_1m',
    'blocks',
    'payouts',
    'pplns_credits',
    'web_failures',
    'web_revoked_sessions',
  ]) {
    assert.ok(tables.includes(name), `table ${name} exists`);
  }
});

test('synchronous = FULL is configurable', async (t) => {
  const db = openDatabase(tempDbPath(t), { synchronous: 'FULL' });
  t.after(() => db.close());
  assert.equal(db.pragma('synchronous', { simple: true }), 2);
});

test('the page cache is bounded: 4 MiB by default, cache_mb otherwise', async (t) => {
  const db = openDatabase(tempDbPath(t));
  t.after(() => db.close());
  // Negative cache_size: KiB.
  assert.equal(db.pragma('cache_size', { simple: true }), -DEFAULT_CACHE_MB * 1024);
  const small = openDatabase(tempDbPath(t), { cache_mb: 1 });
  t.after(() => small.close());
  assert.equal(small.pragma('cache_size', { simple: true }), -1024);
});

test('reopening applies nothing; a new migration is applied once, in order', async (t) => {
  const path = tempDbPath(t);
  openDatabase(path).close();
  const db = new Database(path);
  t.after(() => db.close());
  assert.deepEqual(migrate(db), []);
  const top = Math.max(...MIGRATIONS.map((m) => m.version));
  const extra = [
    ...MIGRATIONS,
    { version: top + 2, description: 'c', sql: 'ALTER TABLE t2 ADD COLUMN c INTEGER;' },
    { version: top + 1, description: 't2', sql: 'CREATE TABLE t2 (x INTEGER);' },
  ];
  assert.deepEqual(migrate(db, extra), [top + 1, top + 2]);
  assert.deepEqual(migrate(db, extra), []);
  assert.equal(schemaVersion(db), top + 2);
});

test('a migration numbered below one already applied is still applied', async (t) => {
  const db = new Database(tempDbPath(t));
  t.after(() => db.close());
  const a = { version: 1, description: 'a', sql: 'CREATE TABLE a (x INTEGER);' };
  const c = { version: 3, description: 'c', sql: 'CREATE TABLE c (x INTEGER);' };
  const b = { version: 2, description: 'b', sql: 'CREATE TABLE b (x INTEGER);' };
  assert.deepEqual(migrate(db, [a, c]), [1, 3]);
  assert.deepEqual(migrate(db, [a, b, c]), [2]);
  assert.deepEqual(migrate(db, [a, b, c]), []);
  assert.ok(db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'b'`).get());
  // A version the database has but this list lacks is refused.
  assert.throws(() => migrate(db, [a, c]), /schema version 2 is unknown/);
});

test('version 3 rebuilds blocks keeping every row and payout, and allows the status rejected', async (t) => {
  const path = tempDbPath(t);
  const db = new Database(path);
  t.after(() => db.close());
  db.pragma('foreign_keys = ON');
  migrate(
    db,
    MIGRATIONS.filter((m) => m.version === 1),
  );
  db.exec(`INSERT INTO accounts (id, name, created_at) VALUES (1, 'alice', 0)`);
  const insert = db.prepare(
    `INSERT INTO blocks (hash, height, account_id, worker_id, reward_sats, coinbase_value, status, time,
       payouts_recorded) VALUES (?, ?, 1, NULL, 100, 110, ?, ?, ?)`,
  );
  insert.run('aa'.repeat(32), 10, 'confirmed', 1000, 1);
  insert.run('bb'.repeat(32), 11, 'orphaned', 2000, 0);
  insert.run('cc'.repeat(32), 12, 'pending', 3000, 1);
  db.exec(
    `INSERT INTO payouts (block_hash, account_id, script, amount) VALUES ('${'aa'.repeat(32)}', 1, '00', 90)`,
  );
  db.exec(
    `INSERT INTO pplns_credit_changes (block_hash, account_id, delta) VALUES ('${'cc'.repeat(32)}', 1, 5)`,
  );
  assert.throws(() => db.prepare(`UPDATE blocks SET status = 'rejected' WHERE height = 12`).run(), /CHECK/);
  const before = db
    .prepare('SELECT hash, height, status, time, payouts_recorded FROM blocks ORDER BY hash')
    .all();

  assert.deepEqual(
    migrate(db),
    MIGRATIONS.filter((m) => m.version > 1).map((m) => m.version),
  );
  assert.deepEqual(
    db.prepare('SELECT hash, height, status, time, payouts_recorded FROM blocks ORDER BY hash').all(),
    before,
  );
  assert.deepEqual(db.prepare('SELECT DISTINCT prev_hash FROM blocks').all(), [{ prev_hash: null }]);
  db.prepare(`UPDATE blocks SET status = 'rejected' WHERE height = 12`).run();
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys back on');
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  // The payouts still refer to the rebuilt table.
  assert.throws(
    () =>
      db
        .prepare(
          `INSERT INTO payouts (block_hash, account_id, script, amount) VALUES ('${'dd'.repeat(32)}', 1, '00', 1)`,
        )
        .run(),
    /FOREIGN KEY/,
  );
  const indexes = (
    db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'blocks'`).all() as {
      name: string;
    }[]
  ).map((r) => r.name);
  for (const name of ['blocks_time', 'blocks_status_height', 'blocks_prev_hash'])
    assert.ok(indexes.includes(name), name);
});

test('a version-1 database gains the web tables (version 2) and keeps its rows', async (t) => {
  const path = tempDbPath(t);
  const old = new Database(path);
  assert.deepEqual(
    migrate(
      old,
      MIGRATIONS.filter((m) => m.version === 1),
    ),
    [1],
  );
  old.prepare(`INSERT INTO accounts (name, created_at) VALUES ('alice', 1)`).run();
  await old.close();
  const db = openDatabase(path);
  t.after(() => db.close());
  assert.ok(schemaVersion(db) >= 2);
  assert.equal(db.prepare(`SELECT name FROM accounts`).pluck().get(), 'alice');
  db.prepare(`INSERT INTO web_failures (scope, key, count, since) VALUES ('login_ip', '::1', 1, 2)`).run();
  db.prepare(`INSERT INTO web_revoked_sessions (sid, expires) VALUES ('s', 3)`).run();
  assert.throws(
    () =>
      db
        .prepare(`INSERT INTO web_failures (scope, key, count, since) VALUES ('login_ip', '::1', 1, 2)`)
        .run(),
    /UNIQUE/,
    'one row per scope and key',
  );
});

test('a failing migration leaves the previous version in place', async (t) => {
  const path = tempDbPath(t);
  openDatabase(path).close();
  const db = new Database(path);
  t.after(() => db.close());
  const before = schemaVersion(db);
  const broken = [
    ...MIGRATIONS,
    { version: before + 1, description: 'bad', sql: 'CREATE TABLE ok (x); NOT SQL;' },
  ];
  assert.throws(() => migrate(db, broken));
  assert.equal(schemaVersion(db), before);
  assert.equal(db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'ok'`).get(), undefined);
});

test('a database newer than the program is refused', async (t) => {
  const path = tempDbPath(t);
  const db = openDatabase(path);
  db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (999, 0)').run();
  db.close();
  await assert.rejects(async () => await Store.open(path), /newer than this program knows/);
});
