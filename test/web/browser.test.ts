// The whole stack in real headless Chromium: devnet, template provider, pool
// with its web page and `strata miner` run as processes. A person signs up,
// logs out and in, sets a payout address, starts a miner on the account, sees
// the worker appear with a hashrate and the chart drawn, and logs out. The
// account page is saved as test-artifacts/account-page.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../helpers/chromium.js';
import { ROOT } from '../helpers/paths.js';
import { startRole } from '../helpers/process.js';
import { regtestAddress, startPool, startStack } from '../pool/fixture.js';

const PASSWORD = 'a long enough password';

/** Reloads until `check` passes (at most `tries` times, a second apart). */
async function until(page: Page, tries: number, check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await page.waitForTimeout(1000);
    await page.reload();
  }
  return check();
}

test(
  'sign up, log in, set a payout address, mine, see the worker and chart, log out',
  { timeout: 240_000 },
  async (t) => {
    requireChromium();
    const s = await startStack(t);
    const pool = await startPool(t, s, ['--web-listen', '127.0.0.1:0']);
    const webReady = await pool.proc.waitFor((r) => r.msg === 'web ready');
    const base = `http://127.0.0.1:${Number(webReady.port)}`;
    const context = await launchChromium(t);
    const page = context.pages()[0] ?? (await context.newPage());
    const failures: string[] = [];
    page.on('pageerror', (err) => failures.push(err.message));
    page.on('requestfailed', (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));

    // The public page: the authority key the pool really uses, and working copy buttons.
    await page.goto(base + '/');
    const authority = readFileSync(s.poolKeys.publicPath, 'utf8').trim();
    assert.equal((await page.locator('#authority-key').textContent())?.trim(), authority);
    assert.equal(
      (await page.locator('#sv2-url').textContent())?.trim(),
      `stratum2+tcp://127.0.0.1:${pool.port}/${authority}`,
    );
    await page.locator('button[data-copy="sv2-url"]').click();
    await page.locator('button[data-copy="sv2-url"]', { hasText: 'Copied' }).waitFor({ timeout: 5000 });

    // Sign up, log out, log in.
    await page.goto(base + '/signup');
    await page.fill('#name', 'webminer');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(base + '/account'), page.click('#signup-submit')]);
    assert.equal((await page.locator('#account-name').textContent())?.trim(), 'webminer');
    await Promise.all([page.waitForURL(base + '/'), page.click('#logout')]);
    await page.goto(base + '/account');
    assert.equal(new URL(page.url()).pathname, '/login', 'logged out: the account page asks for a login');
    await page.fill('#name', 'webminer');
    await page.fill('#password', 'wrong password here');
    await page.click('#login-submit');
    assert.match((await page.locator('#form-error').textContent()) ?? '', /Wrong account name or password/);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(base + '/account'), page.click('#login-submit')]);

    // Payout address: a wrong one is refused, a regtest one saved.
    await page.fill('#address', 'not-an-address');
    await page.click('#address-submit');
    assert.match((await page.locator('#form-error').textContent()) ?? '', /not an address of devnet/);
    const address = regtestAddress(0x42);
    await page.fill('#address', address);
    await Promise.all([page.waitForURL(base + '/account?saved=1'), page.click('#address-submit')]);
    assert.equal((await page.locator('#current-address').textContent())?.trim(), address);

    // A miner on the account the page created.
    const miner = startRole([
      'miner',
      '--pool',
      `127.0.0.1:${pool.port}`,
      '--authority-key',
      s.poolKeys.publicPath,
      '--user',
      'webminer.rig1',
      '--threads',
      '1',
      '--nominal-hashrate',
      '100000',
      '--report-interval',
      '1',
    ]);
    t.after(() => miner.stop());
    await miner.waitFor((r) => r.msg === 'connected');

    const row = page.locator('tr.worker[data-worker="rig1"]');
    const hashing = await until(page, 90, async () => {
      if ((await row.count()) === 0) return false;
      const rate = (await row.locator('td.hashrate-10m').textContent())?.trim() ?? '';
      return /online/.test((await row.textContent()) ?? '') && rate !== '' && !/^0 H\/s$/.test(rate);
    });
    assert.ok(
      hashing,
      `the worker never showed a hashrate; miner output:\n${miner.lines.slice(-10).join('\n')}`,
    );
    assert.match((await row.locator('td.ua').textContent()) ?? '', /\S/);

    // The chart: 144 points, and the newest ones above the baseline.
    const chart = page.locator('#account-chart svg.chart');
    assert.equal(await chart.getAttribute('data-points'), '144');
    assert.ok(Number(await chart.getAttribute('data-max')) > 0);
    const points = ((await chart.locator('polyline.line').getAttribute('points')) ?? '').trim().split(' ');
    assert.equal(points.length, 144);
    const ys = points.map((p) => Number(p.split(',')[1]));
    assert.ok(Math.min(...ys) < Math.max(...ys), 'the line rises above the baseline');
    const box = await chart.boundingBox();
    assert.ok(box && box.width > 100 && box.height > 20, 'the chart is laid out on the page');
    assert.match(
      (await page.locator('#chart-sample').textContent()) ?? '',
      /Based on [1-9]\d* accepted shares/,
    );

    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-artifacts', 'account-page.png'), fullPage: true });

    // Log out: the session is gone.
    await Promise.all([page.waitForURL(base + '/'), page.click('#logout')]);
    await page.goto(base + '/account');
    assert.equal(new URL(page.url()).pathname, '/login');
    const api = await page.goto(base + '/api/account');
    assert.equal(api?.status(), 401);
    assert.deepEqual(failures, [], 'no script errors or failed requests');
    await miner.stop();
  },
);
