// A real `strata pool` process killed and started again on the same
// database: a log-in lockout and a logged-out session survive it, while a
// live session goes on working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPool, startStack, type PoolProcess } from '../pool/fixture.js';
import { LOGIN_LOCKED } from '../../src/web/pages/auth.js';

const PASSWORD = 'correct horse battery staple';
/** The pool's default [web] login_max_failures. */
const MAX_FAILURES = 5;

/** A cookie-keeping HTTP client that reads the CSRF token of the last page. */
class HttpClient {
  readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(public base: string) {}

  async #send(method: 'GET' | 'POST', path: string, form?: Record<string, string>) {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({ ...form, csrf: this.csrf }).toString();
    }
    const r = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    for (const c of r.headers.getSetCookie()) {
      const pair = c.split(';')[0]!;
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /Max-Age=0/.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await r.text();
    const m = /name="csrf" value="([^"]+)"/.exec(text);
    if (m) this.csrf = m[1]!;
    return { status: r.status, text };
  }

  get(path: string) {
    return this.#send('GET', path);
  }

  post(path: string, form: Record<string, string>) {
    return this.#send('POST', path, form);
  }

  async login(name: string, password: string) {
    await this.get('/login');
    return this.post('/login', { name, password });
  }
}

async function webBase(pool: PoolProcess): Promise<string> {
  const ready = await pool.proc.waitFor((r) => r.msg === 'web ready');
  return `http://127.0.0.1:${Number(ready.port)}`;
}

test(
  'a lockout and a logged-out session survive the pool process being killed and restarted',
  { timeout: 180_000 },
  async (t) => {
    const s = await startStack(t);
    const first = await startPool(t, s);
    const base = await webBase(first);

    const alice = new HttpClient(base);
    await alice.get('/signup');
    assert.equal((await alice.post('/signup', { name: 'alice', password: PASSWORD })).status, 303);
    const bob = new HttpClient(base);
    await bob.get('/signup');
    assert.equal((await bob.post('/signup', { name: 'bob', password: PASSWORD })).status, 303);
    // Bob logs out; someone kept his cookie.
    const stolen = bob.cookies.get('strata_session')!;
    await bob.get('/account');
    assert.equal((await bob.post('/logout', {})).status, 303);
    // Someone guessing alice's password locks her account (her open session goes on).
    const guesser = new HttpClient(base);
    await guesser.get('/login');
    for (let i = 0; i < MAX_FAILURES; i++) {
      assert.equal((await guesser.post('/login', { name: 'alice', password: `guess ${i}` })).status, 401);
    }
    assert.equal((await guesser.post('/login', { name: 'alice', password: PASSWORD })).status, 429);

    // A crash, not a clean stop: what the pages answered before is on disk.
    await first.proc.kill();
    const second = await startPool(t, s);
    const base2 = await webBase(second);

    const replay = new HttpClient(base2);
    replay.cookies.set('strata_session', stolen);
    assert.equal((await replay.get('/api/account')).status, 401, "bob's logged-out session stays dead");
    const locked = await new HttpClient(base2).login('alice', PASSWORD);
    assert.equal(locked.status, 429, "alice's lockout survived the restart");
    assert.ok(locked.text.includes(LOGIN_LOCKED));
    // The restart did not simply end every session or lock everyone out.
    alice.base = base2;
    assert.equal((await alice.get('/api/account')).status, 200, "alice's own session still works");
    assert.equal((await new HttpClient(base2).login('bob', PASSWORD)).status, 303);
  },
);
