// Accounts: sign-up, log-in, log-out, sessions, CSRF, lockout, and no user
// enumeration through the log-in answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NETWORKS, scriptToAddress } from '../../src/bitcoin/index.js';
import { passwordWork } from '../../src/web/auth/password.js';
import { Client, regtestAddress, seed, share, startWeb } from './fixture.js';
import { LOGIN_FAILED, LOGIN_LOCKED } from '../../src/web/pages/auth.js';
import { CookieSigner } from '../../src/web/auth/cookies.js';
import { resolveSessionSecret } from '../../src/web/config.js';

const PASSWORD = 'correct horse battery staple';

test('sign-up creates the account row the pool checks, with a salted scrypt hash, and logs in', async (t) => {
  const f = await startWeb(t);
  const c = new Client(f.web);
  const r = await c.signup('alice', PASSWORD);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/account');
  const cookie = String(r.headers['set-cookie']);
  assert.match(cookie, /strata_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=86400/);
  const row = (await f.store.getAccount('alice'))!;
  assert.ok(row, 'the pool finds the account through the store');
  assert.match(row.password_hash!, /^scrypt\$10\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.ok(!row.password_hash!.includes(PASSWORD));
  const page = await c.get('/account');
  assert.equal(page.status, 200);
  assert.match(page.flat, /<span class="name" id="account-name">alice<\/span>/);
  // A second account with the same password gets a different salt.
  const d = new Client(f.web, '127.0.0.2');
  await d.signup('bob', PASSWORD);
  assert.notEqual((await f.store.getAccount('bob'))!.password_hash, row.password_hash);
});

test('sign-up refuses taken names (any letter case), bad names and short passwords', async (t) => {
  const f = await startWeb(t);
  const c = new Client(f.web);
  assert.equal((await c.signup('alice', PASSWORD)).status, 303);
  const d = new Client(f.web, '127.0.0.2');
  const taken = await d.signup('ALICE', PASSWORD);
  assert.equal(taken.status, 409);
  assert.match(taken.flat, /That account name is taken/);
  const dotted = await d.signup('alice.rig', PASSWORD);
  assert.equal(dotted.status, 400);
  assert.match(dotted.flat, /no dots/);
  const short = await d.signup('carol', 'short');
  assert.equal(short.status, 400);
  assert.equal(await f.store.getAccount('carol'), undefined);
  // An account made by the operator (no password) cannot be claimed by signing up.
  await f.store.ensureAccount('operator-made');
  assert.equal((await d.signup('operator-made', PASSWORD)).status, 409);
});

test('sign-up in solo mode takes a payout address as the account name', async (t) => {
  const f = await startWeb(t, { mode: 'solo' });
  const c = new Client(f.web);
  const bad = await c.signup('alice', PASSWORD);
  assert.equal(bad.status, 400);
  assert.match(bad.flat, /must be an address of regtest/);
  const address = regtestAddress(7);
  assert.equal((await c.signup(address, PASSWORD)).status, 303);
  assert.equal((await f.store.getAccount(address))!.payout_address, address);
});

test('log-in with the right password starts a session; log-out ends it even for a copied cookie', async (t) => {
  const f = await startWeb(t);
  await new Client(f.web).signup('alice', PASSWORD);
  const c = new Client(f.web);
  const r = await c.login('alice', PASSWORD);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/account');
  const stolen = c.cookies.get('strata_session')!;
  assert.equal((await c.get('/api/account')).status, 200);
  await c.get('/account');
  const out = await c.post('/logout', {});
  assert.equal(out.status, 303);
  assert.match(String(out.headers['set-cookie']), /strata_session=; .*Max-Age=0/);
  assert.equal((await c.get('/api/account')).status, 401);
  const replay = new Client(f.web);
  replay.cookies.set('strata_session', stolen);
  assert.equal((await replay.get('/api/account')).status, 401, 'a logged-out session stays dead');
});

test('tampered, foreign and expired session cookies are refused', async (t) => {
  const f = await startWeb(t);
  const c = new Client(f.web);
  await c.signup('alice', PASSWORD);
  const good = c.cookies.get('strata_session')!;
  const [id, exp, sid, mac] = good.split('.');
  const probe = async (value: string) => {
    const p = new Client(f.web);
    p.cookies.set('strata_session', value);
    return (await p.get('/api/account')).status;
  };
  assert.equal(await probe(good), 200);
  assert.equal(await probe(`${Number(id) + 1}.${exp}.${sid}.${mac}`), 401, 'other account id');
  assert.equal(await probe(`${id}.${Number(exp) + 1000}.${sid}.${mac}`), 401, 'longer life');
  const other = new CookieSigner(Buffer.alloc(32, 7)).issueSession(Number(id), 3600).value;
  assert.equal(await probe(other), 401, 'signed with another key');
  const signer = new CookieSigner(resolveSessionSecret(f.config));
  const expired = signer.issueSession(Number(id), 60, Date.now() - 120_000).value;
  assert.equal(await probe(expired), 401, 'expired');
  assert.equal(await probe(signer.issueSession(Number(id), 60).value), 200, 'same key, fresh: accepted');
});

test('a session reads only its own account', async (t) => {
  const f = await startWeb(t);
  const alice = new Client(f.web);
  await alice.signup('alice', PASSWORD);
  const bob = new Client(f.web, '127.0.0.2');
  await bob.signup('bob', PASSWORD);
  await bob.get('/account');
  assert.equal((await bob.post('/account/payout-address', { address: regtestAddress(2) })).status, 303);
  await seed(f.store, [share('bob', 'secret-rig', 100)]);
  for (const url of ['/api/account', '/api/account?account=bob', '/account?account=bob']) {
    const r = await alice.get(url);
    assert.equal(r.status, 200);
    assert.ok(!r.body.includes('secret-rig'), `${url} shows bob's worker`);
    assert.ok(!r.body.includes(regtestAddress(2)), `${url} shows bob's address`);
  }
  assert.equal((await alice.get('/api/account')).json<{ account: string }>().account, 'alice');
  // Posting another account's name changes nothing but the poster's own row.
  await alice.get('/account');
  await alice.post('/account/payout-address', { address: regtestAddress(3), account: 'bob', name: 'bob' });
  assert.equal((await f.store.getAccount('bob'))!.payout_address, regtestAddress(2));
  assert.equal((await f.store.getAccount('alice'))!.payout_address, regtestAddress(3));
});

test('POSTs without a valid CSRF token are refused', async (t) => {
  const f = await startWeb(t);
  const c = new Client(f.web);
  await c.get('/signup');
  for (const token of [null, '', 'forged-token-value-that-is-long-enough']) {
    const r = await c.post('/signup', { name: 'mallory', password: PASSWORD }, token);
    assert.equal(r.status, 403);
    assert.match(r.flat, /not sent by this site/);
  }
  assert.equal(await f.store.getAccount('mallory'), undefined);
  assert.equal((await c.signup('alice', PASSWORD)).status, 303);
  for (const [url, fields] of [
    ['/login', { name: 'alice', password: PASSWORD }],
    ['/logout', {}],
    ['/account/payout-address', { address: regtestAddress(1) }],
  ] as const) {
    assert.equal((await c.post(url, fields, null)).status, 403, url);
  }
  assert.equal((await f.store.getAccount('alice'))!.payout_address, null);
  assert.equal((await c.get('/api/account')).status, 200, 'the refused log-out did not end the session');
  // A token from another browser's cookie does not fit this one.
  const other = new Client(f.web);
  await other.get('/login');
  assert.equal(
    (await c.post('/account/payout-address', { address: regtestAddress(1) }, other.csrf)).status,
    403,
  );
});

test('unknown account and wrong password get the same answer', async (t) => {
  const f = await startWeb(t);
  await new Client(f.web).signup('alice', PASSWORD);
  const c = new Client(f.web, '127.0.0.9');
  await c.get('/login');
  // The decoy hash is made once, on the first unknown name; warm it up.
  await c.post('/login', { name: 'warm-up', password: 'x' });
  let before = passwordWork.derivations;
  const wrong = await c.post('/login', { name: 'alice', password: 'not the password' });
  assert.equal(passwordWork.derivations - before, 1, 'a wrong password costs one scrypt');
  before = passwordWork.derivations;
  const nobody = await c.post('/login', { name: 'nobody', password: 'not the password' });
  assert.equal(passwordWork.derivations - before, 1, 'an unknown account costs one scrypt too');
  assert.equal(wrong.status, 401);
  assert.equal(nobody.status, 401);
  assert.ok(wrong.body.includes(LOGIN_FAILED) && nobody.body.includes(LOGIN_FAILED));
  // Byte for byte the same page apart from the echoed name.
  assert.equal(
    wrong.body.replace('value="alice"', 'value="X"'),
    nobody.body.replace('value="nobody"', 'value="X"'),
  );
  assert.deepEqual(Object.keys(wrong.headers).sort(), Object.keys(nobody.headers).sort());
});

test('log-in locks after N failures per account, also for the right password, and per IP', async (t) => {
  const f = await startWeb(t, { config: { login_max_failures: 3 } });
  await new Client(f.web).signup('alice', PASSWORD);
  const c = new Client(f.web, '10.0.0.1');
  await c.get('/login');
  for (let i = 0; i < 3; i++)
    assert.equal((await c.post('/login', { name: 'alice', password: 'nope' })).status, 401);
  const locked = await c.post('/login', { name: 'ALICE', password: PASSWORD });
  assert.equal(locked.status, 429);
  assert.ok(locked.body.includes(LOGIN_LOCKED));
  // The lock is on the account, from any address.
  const elsewhere = new Client(f.web, '10.0.0.2');
  assert.equal((await elsewhere.login('alice', PASSWORD)).status, 429);
  // Unknown names lock the same way, so the lock tells nothing either.
  const u = new Client(f.web, '10.0.0.3');
  await u.get('/login');
  for (let i = 0; i < 3; i++)
    assert.equal((await u.post('/login', { name: 'ghost', password: 'x' })).status, 401);
  assert.equal((await u.post('/login', { name: 'ghost', password: 'x' })).status, 429);
  // Per IP: 4 × N failures over many names lock the address.
  const ip = new Client(f.web, '10.0.0.4');
  await ip.get('/login');
  for (let i = 0; i < 12; i++) await ip.post('/login', { name: `name${i}`, password: 'x' });
  await new Client(f.web).signup('dave', PASSWORD);
  assert.equal((await ip.post('/login', { name: 'dave', password: PASSWORD })).status, 429);
  assert.equal((await new Client(f.web, '10.0.0.5').login('dave', PASSWORD)).status, 303);
});

test('sign-ups per IP address are limited', async (t) => {
  const f = await startWeb(t, { config: { signup_per_hour: 2 } });
  const c = new Client(f.web, '10.1.0.1');
  assert.equal((await c.signup('a1', PASSWORD)).status, 303);
  assert.equal((await c.signup('a2', PASSWORD)).status, 303);
  assert.equal((await c.signup('a3', PASSWORD)).status, 429);
  assert.equal(await f.store.getAccount('a3'), undefined);
});

test('the payout address is validated for the pool network', async (t) => {
  const f = await startWeb(t);
  const c = new Client(f.web);
  await c.signup('alice', PASSWORD);
  await c.get('/account');
  const script = new Uint8Array(22);
  script[1] = 20;
  const mainnet = scriptToAddress(script.fill(9, 2), NETWORKS.mainnet)!;
  const bad = await c.post('/account/payout-address', { address: mainnet });
  assert.equal(bad.status, 400);
  assert.match(bad.flat, /not an address of devnet/);
  const junk = await c.post('/account/payout-address', { address: '<b>junk</b>' });
  assert.equal(junk.status, 400);
  assert.ok(!junk.body.includes('<b>junk'));
  assert.equal((await f.store.getAccount('alice'))!.payout_address, null);
  const ok = await c.post('/account/payout-address', { address: regtestAddress(5) });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.location, '/account?saved=1');
  assert.equal((await f.store.getAccount('alice'))!.payout_address, regtestAddress(5));
  const page = await c.get('/account?saved=1');
  assert.match(page.flat, /Payout address saved/);
  assert.ok(page.flat.includes(`<code id="current-address">${regtestAddress(5)}</code>`));
});
