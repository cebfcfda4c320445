import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate, openDatabase, schemaVersion, Store } from '../../src/store/index.js';
import { tempDbPath } from './tmp.js';

test('a fresh database gets every migration, WAL mode and the chosen synchronous level', (t) => {
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

test('synchronous = FULL is configurable', (t) => {
  const db = openDatabase(tempDbPath(t), { synchronous: 'FULL' });
  t.after(() => db.close());
  assert.equal(db.pragma('synchronous', { simple: true }), 2);
});

test('reopening applies nothing; a new migration is applied once, in order', (t) => {
  const path = tempDbPath(t);
  openDatabase(path).close();
  const db = new Database(path);
  t.after(() => db.close());
  assert.deepEqual(migrate(db), []);
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));
  const extra = [
    ...MIGRATIONS,
    { version: latest + 2, description: 'c', sql: 'ALTER TABLE t2 ADD COLUMN c INTEGER;' },
    { version: latest + 1, description: 't2', sql: 'CREATE TABLE t2 (x INTEGER);' },
  ];
  assert.deepEqual(migrate(db, extra), [latest + 1, latest + 2]);
  assert.deepEqual(migrate(db, extra), []);
  assert.equal(schemaVersion(db), latest + 2);
});

test('a version-1 database gains the web tables (version 2) and keeps its rows', (t) => {
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
  old.close();
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

test('a failing migration leaves the previous version in place', (t) => {
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

test('a database newer than the program is refused', (t) => {
  const path = tempDbPath(t);
  const db = openDatabase(path);
  db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (999, 0)').run();
  db.close();
  assert.throws(() => Store.open(path), /newer than this program knows/);
});
