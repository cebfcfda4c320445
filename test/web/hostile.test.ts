// Worker names and user agents are chosen by miners: every page and the API
// must render them as inert text. Checked in the HTML and in real Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from '../helpers/chromium.js';
import { escapeHtml } from '../../src/web/escape.js';
import { engineOf } from '../../src/web/engine.js';
import { Client, flatten, seed, share, startWeb, type WebFixture } from './fixture.js';

const HOSTILE_NAMES = [
  '<script>window.__pwned = 1</script>',
  '"><img src=x onerror="window.__pwned=2">',
  "'onmouseover='window.__pwned=3",
  'rig\u0000\u0007\u001b[31m\u0085\ud800end',
  '</td></tr></table><script>window.__pwned=4</script>',
  '&lt;already-escaped&gt;',
];
const LONG_UA = '<script>window.__pwned=5</script>'.repeat(310); // over 10 KB
const LONG_NAME = 'W'.repeat(10 * 1024) + '<b>tail</b>';

/** An account whose workers carry every hostile name, a 10 KB user agent and (written by hand,
 *  past the store's own length check) a 10 KB worker name; one of them found a block. */
async function hostileAccount(f: WebFixture): Promise<Client> {
  const c = new Client(f.web);
  assert.equal((await c.signup('victim', 'a perfectly fine password')).status, 303);
  const now = Date.now();
  for (const [i, name] of HOSTILE_NAMES.entries()) {
    await f.store.ensureWorker('victim', name, { user_agent: i === 0 ? LONG_UA : name });
  }
  await seed(
    f.store,
    HOSTILE_NAMES.map((name, i) => share('victim', name, 100 + i, now - i * 1000, 1000 + i)),
    HOSTILE_NAMES.map((name) => ({ account: 'victim', worker: name, reason: '<i>reason</i>' })),
  );
  const account = (await f.store.getAccount('victim'))!;
  await engineOf(f.store).run(
    `INSERT INTO workers (account_id, name, user_agent, first_seen, last_share_at, best_share_difficulty, accepted)
     VALUES (?, ?, ?, ?, ?, 1e9, 1)`,
    [account.id, LONG_NAME, LONG_NAME, now, now],
  );
  await f.store.ledger.recordBlock({
    height: 102,
    hash: 'ef'.repeat(32),
    account: 'victim',
    worker: HOSTILE_NAMES[1]!,
    reward_sats: 1n,
    coinbase_value: 1n,
  });
  f.live.open = HOSTILE_NAMES.map((name, i) => ({
    account: 'victim',
    worker: name,
    channel_id: i + 1,
    user_agent: name,
    difficulty: 1,
    best_share_difficulty: 2,
  }));
  return c;
}

function assertInert(body: string, where: string): void {
  const scripts = body.match(/<script\b/gi) ?? [];
  assert.equal(scripts.length, 1, `${where}: only the page's own script tag`);
  assert.match(body, /<script src="\/app\.js" defer><\/script>/);
  assert.ok(!/<img\b/i.test(body), `${where}: no injected img`);
  assert.ok(!/<b>tail/.test(body) && !/<i>reason/.test(body), `${where}: no injected markup`);
  // Escaped values cannot hold a raw quote, so blanking quoted values leaves only real attributes.
  const tags = body.replace(/"[^"]*"/g, '""');
  assert.ok(!/<[^>]*\son\w+\s*=/i.test(tags), `${where}: no event handler attribute in any tag`);
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
  assert.ok(!control.test(body), `${where}: no control characters`);
  assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(body), `${where}: no lone surrogates`);
  assert.ok(!body.includes('W'.repeat(1000)), `${where}: the 10 KB name is shortened`);
}

test('hostile worker names, user agents and reasons render as text on every page', async (t) => {
  const f = await startWeb(t);
  const c = await hostileAccount(f);
  const account = await c.get('/account');
  assert.equal(account.status, 200);
  assertInert(account.body, '/account');
  const flat = flatten(account.body);
  assert.ok(flat.includes('&lt;script&gt;window.__pwned = 1&lt;/script&gt;'));
  assert.ok(flat.includes('&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;'));
  assert.ok(flat.includes('&#39;onmouseover=&#39;window.__pwned=3'));
  assert.ok(flat.includes('rig\ufffd\ufffd\ufffd[31m'), 'control characters shown as U+FFFD');
  const stored = (await engineOf(f.store).get<{ name: string }>(
    "SELECT name FROM workers WHERE name LIKE 'rig%'",
  ))!;
  assert.ok(flat.includes(escapeHtml(stored.name)), 'the stored name, escaped');
  assert.ok(flat.includes('&amp;lt;already-escaped&amp;gt;'), 'escaped once more, shown as typed');
  assert.equal((flat.match(/<tr class="worker"/g) ?? []).length, HOSTILE_NAMES.length + 1);
  const home = await c.get('/');
  assertInert(home.body, '/');
  assert.ok(flatten(home.body).includes('victim.&quot;&gt;&lt;img'), 'block finder escaped');
  const other = new Client(f.web);
  assertInert((await other.get('/')).body, '/ (logged out)');
});

test('the JSON API returns hostile names as JSON strings, never as HTML', async (t) => {
  const f = await startWeb(t);
  const c = await hostileAccount(f);
  for (const url of ['/api/account', '/api/miner/victim', '/api/stats', '/api/blocks']) {
    const r = await c.get(url);
    assert.equal(r.status, 200, url);
    assert.match(String(r.headers['content-type']), /^application\/json/, url);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    r.json();
  }
  const names = (await c.get('/api/account'))
    .json<{ workers: { name: string }[] }>()
    .workers.map((w) => w.name);
  const stored = (await engineOf(f.store).all<{ name: string }>('SELECT name FROM workers')).map(
    (r) => r.name,
  );
  assert.deepEqual([...names].sort(), [...stored].sort(), 'the API gives the names exactly as stored');
  assert.ok(names.includes(HOSTILE_NAMES[0]!));
});

test('in Chromium the hostile names run nothing', { timeout: 120_000 }, async (t) => {
  const f = await startWeb(t);
  const c = await hostileAccount(f);
  const { port } = await f.web.listen('127.0.0.1', 0);
  const context = await launchChromium(t);
  await context.addCookies(
    [...c.cookies].map(([name, value]) => ({ name, value, domain: '127.0.0.1', path: '/' })),
  );
  const page = context.pages()[0] ?? (await context.newPage());
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  for (const path of ['/account', '/']) {
    await page.goto(`http://127.0.0.1:${port}${path}`);
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
      undefined,
      path,
    );
  }
  await page.goto(`http://127.0.0.1:${port}/account`);
  const shown = await page.locator('tr.worker td.name').allTextContents();
  assert.ok(shown.includes(HOSTILE_NAMES[0]!), 'the script-looking name is shown as text');
  assert.deepEqual(dialogs, []);
});
