// What the web page keeps in the store: log-in and sign-up failure counts
// (lockouts) and logged-out sessions, their bounds, and that both outlive a
// restart of the web server on the same database file.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '../../src/store/index.js';
import { SqliteEngine } from '../../src/store/sql.js';
import { FailureLimiter } from '../../src/web/auth/rate-limit.js';
import { RevokedSessions } from '../../src/web/auth/revoked.js';
import { LOGIN_LOCKED } from '../../src/web/pages/auth.js';
import { Client, startWeb, tempDir } from './fixture.js';

const PASSWORD = 'correct horse battery staple';

function database(t: TestContext): { path: string; db: SqliteDatabase; engine: SqliteEngine } {
  const path = join(tempDir(t), 'pool.db');
  const db = openDatabase(path);
  t.after(() => db.close());
  return { path, db, engine: new SqliteEngine(db) };
}

function failureRows(db: SqliteDatabase, scope: string): { key: string; count: number; since: number }[] {
  return db.prepare('SELECT key, count, since FROM web_failures WHERE scope = ? ORDER BY key').all(scope) as {
    key: string;
    count: number;
    since: number;
  }[];
}

test('failure limiter: locks at max within the window, unlocks after it, restarts the count', async (t) => {
  const { db, engine } = database(t);
  const l = await FailureLimiter.open(engine, 'login_account', 3, 1000);
  await l.fail('a', 0);
  await l.fail('a', 10);
  assert.equal(await l.locked('a', 20), false);
  await l.fail('a', 20);
  assert.equal(await l.locked('a', 30), true);
  assert.equal(await l.locked('a', 999), true);
  assert.equal(await l.locked('a', 1000), false, 'the window of the first failure has passed');
  assert.deepEqual(failureRows(db, 'login_account'), [{ key: 'a', count: 3, since: 0 }]);
  await l.fail('a', 1500);
  assert.deepEqual(failureRows(db, 'login_account'), [{ key: 'a', count: 1, since: 1500 }]);
  assert.equal(await l.locked('a', 1600), false, 'a failure after the window counts from 1 again');
  await l.fail('b', 0);
  await l.fail('b', 0);
  await l.fail('b', 0);
  assert.equal(await l.locked('b', 1), true);
  await l.clear('b');
  assert.equal(await l.locked('b', 1), false);
  assert.equal(l.size, 1);
});

test('failure limiter: scopes are separate key spaces with their own limits', async (t) => {
  const { engine } = database(t);
  const accounts = await FailureLimiter.open(engine, 'login_account', 2, 1000);
  const ips = await FailureLimiter.open(engine, 'login_ip', 8, 1000);
  await accounts.fail('10.0.0.1', 0);
  await accounts.fail('10.0.0.1', 0);
  assert.equal(await accounts.locked('10.0.0.1', 1), true);
  assert.equal(await ips.locked('10.0.0.1', 1), false, 'the same key in another scope is untouched');
  for (let i = 0; i < 7; i++) await ips.fail('10.0.0.1', 0);
  assert.equal(await ips.locked('10.0.0.1', 1), false);
  await ips.fail('10.0.0.1', 0);
  assert.equal(await ips.locked('10.0.0.1', 1), true);
  await ips.clear('10.0.0.1');
  assert.equal(await accounts.locked('10.0.0.1', 1), true, 'clearing one scope leaves the other');
});

test('failure limiter: a spray of keys keeps the table at maxKeys, dropping the oldest first', async (t) => {
  const { db, engine } = database(t);
  const l = await FailureLimiter.open(engine, 'login_ip', 3, 1_000_000, 50);
  for (let i = 0; i < 3; i++) await l.fail('victim', 0);
  for (let i = 0; i < 500; i++) await l.fail(`spray-${i}`, 1 + i);
  const rows = failureRows(db, 'login_ip');
  assert.equal(rows.length, 50);
  assert.equal(l.size, 50);
  const keys = new Set(rows.map((r) => r.key));
  for (let i = 450; i < 500; i++) assert.ok(keys.has(`spray-${i}`), `newest key spray-${i} kept`);
  assert.equal(await l.locked('victim', 600), false, 'the oldest key gave way (its lock with it)');
  // A key that is failing now is not dropped while it is among the newest.
  for (let i = 0; i < 3; i++) await l.fail('z', 1000);
  for (let i = 0; i < 10; i++) await l.fail(`more-${i}`, 1001 + i);
  assert.equal(await l.locked('z', 1100), true);
  assert.equal(failureRows(db, 'login_ip').length, 50);
});

test('failure limiter: expired rows are deleted when a new key arrives and at start', async (t) => {
  const { path, db, engine } = database(t);
  const l = await FailureLimiter.open(engine, 'signup_ip', 5, 1000);
  await l.fail('a', 0);
  await l.fail('b', 500);
  await l.fail('a', 900);
  assert.equal(failureRows(db, 'signup_ip').length, 2);
  await l.fail('c', 1200);
  assert.deepEqual(
    failureRows(db, 'signup_ip').map((r) => r.key),
    ['b', 'c'],
    'a (first failure at 0) expired at 1000 and was deleted',
  );
  assert.equal(l.size, 2);
  await l.prune(1500);
  assert.deepEqual(
    failureRows(db, 'signup_ip').map((r) => r.key),
    ['c'],
  );
  // A limiter opened later (here on another connection to the file) starts by
  // deleting what has expired by then.
  const again = openDatabase(path);
  t.after(() => again.close());
  const againEngine = new SqliteEngine(again);
  again
    .prepare(`INSERT INTO web_failures (scope, key, count, since) VALUES ('signup_ip', 'fresh', 2, ?)`)
    .run(Date.now());
  const reopened = await FailureLimiter.open(againEngine, 'signup_ip', 2, 3_600_000);
  assert.equal(reopened.size, 1);
  assert.deepEqual(
    failureRows(again, 'signup_ip').map((r) => r.key),
    ['fresh'],
    'c (first failure at 1200) was older than the window',
  );
  assert.equal(await reopened.locked('fresh'), true);
});

test('failure limiter: refuses nonsense limits', async (t) => {
  const { engine } = database(t);
  await assert.rejects(FailureLimiter.open(engine, 'login_ip', 0, 1000), /max/);
  await assert.rejects(FailureLimiter.open(engine, 'login_ip', 1, 0), /windowMs/);
  await assert.rejects(FailureLimiter.open(engine, 'login_ip', 1, 1000, 0), /maxKeys/);
});

test('revoked sessions: revoke, look up, ignore already expired, no duplicates', async (t) => {
  const { engine } = database(t);
  const r = await RevokedSessions.open(engine);
  const now = Date.now();
  assert.equal(await r.has('s1'), false);
  await r.revoke('s1', now + 60_000, now);
  assert.equal(await r.has('s1'), true);
  assert.equal(await r.has('s2'), false);
  await r.revoke('s1', now + 60_000, now);
  assert.equal(r.size, 1);
  await r.revoke('gone', now - 1, now);
  assert.equal(await r.has('gone'), false, 'an expired session needs no revocation');
  assert.equal(r.size, 1);
});

test('revoked sessions: bounded, expired rows pruned first, then the soonest to expire', async (t) => {
  const { path, db, engine } = database(t);
  const r = await RevokedSessions.open(engine, 3);
  const now = Date.now();
  await r.revoke('old', now + 10, now);
  await r.revoke('a', now + 1000, now);
  await r.revoke('b', now + 2000, now);
  // At now + 20 'old' has expired: it goes, nothing live does.
  await r.revoke('c', now + 3000, now + 20);
  assert.deepEqual(db.prepare('SELECT sid FROM web_revoked_sessions ORDER BY sid').pluck().all(), [
    'a',
    'b',
    'c',
  ]);
  // Full of live rows: the one that expires soonest gives way.
  await r.revoke('d', now + 4000, now + 30);
  assert.deepEqual(db.prepare('SELECT sid FROM web_revoked_sessions ORDER BY sid').pluck().all(), [
    'b',
    'c',
    'd',
  ]);
  assert.equal(r.size, 3);
  for (let i = 0; i < 100; i++) await r.revoke(`spray-${i}`, now + 5000 + i, now + 40);
  assert.equal(db.prepare('SELECT COUNT(*) FROM web_revoked_sessions').pluck().get(), 3);
  // Another connection to the same file sees the revocations.
  const again = openDatabase(path);
  t.after(() => again.close());
  const againEngine = new SqliteEngine(again);
  const reopened = await RevokedSessions.open(againEngine, 3);
  assert.equal(reopened.size, 3);
  assert.equal(await reopened.has('spray-99'), true);
  assert.equal(await reopened.has('b'), false);
});

test('a lockout and a logged-out session outlive a restart of the web server on the same file', async (t) => {
  const first = await startWeb(t, { config: { login_max_failures: 3 } });
  await new Client(first.web).signup('alice', PASSWORD);
  await new Client(first.web, '10.0.0.8').signup('bob', PASSWORD);
  // Alice logs in twice (two browsers) and logs one of them out; someone kept that cookie.
  const kept = new Client(first.web, '10.0.0.1');
  assert.equal((await kept.login('alice', PASSWORD)).status, 303);
  const other = new Client(first.web, '10.0.0.2');
  assert.equal((await other.login('alice', PASSWORD)).status, 303);
  const loggedOut = new Client(first.web, '10.0.0.3');
  assert.equal((await loggedOut.login('alice', PASSWORD)).status, 303);
  const stolen = loggedOut.cookies.get('strata_session')!;
  await loggedOut.get('/account');
  assert.equal((await loggedOut.post('/logout', {})).status, 303);
  // Bob's account gets locked by wrong passwords; an address gets locked by spraying names.
  const guesser = new Client(first.web, '10.0.0.4');
  await guesser.get('/login');
  for (let i = 0; i < 3; i++)
    assert.equal((await guesser.post('/login', { name: 'bob', password: 'wrong' })).status, 401);
  const sprayer = new Client(first.web, '10.0.0.5');
  await sprayer.get('/login');
  for (let i = 0; i < 12; i++) await sprayer.post('/login', { name: `name${i}`, password: 'x' });
  await first.stop();

  const second = await startWeb(t, { dir: first.dir, config: { login_max_failures: 3 } });
  const moved = (c: Client, ip: string) => {
    const n = new Client(second.web, ip);
    for (const [k, v] of c.cookies) n.cookies.set(k, v);
    return n;
  };
  assert.equal((await moved(kept, '10.0.0.1').get('/api/account')).status, 200, 'a live session still works');
  const replay = new Client(second.web, '10.0.0.6');
  replay.cookies.set('strata_session', stolen);
  assert.equal((await replay.get('/api/account')).status, 401, 'the logged-out session stays dead');
  const bob = await new Client(second.web, '10.0.0.7').login('bob', PASSWORD);
  assert.equal(bob.status, 429, "bob's lock outlived the restart");
  assert.ok(bob.body.includes(LOGIN_LOCKED));
  const sprayed = moved(sprayer, '10.0.0.5');
  await sprayed.get('/login');
  assert.equal(
    (await sprayed.post('/login', { name: 'alice', password: PASSWORD })).status,
    429,
    "the address's lock outlived the restart",
  );
  assert.equal((await new Client(second.web, '10.0.0.9').login('alice', PASSWORD)).status, 303);
});
