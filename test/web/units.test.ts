// The web layer's small parts: escaping, number formats, device families,
// the SVG chart, password hashing, cookies and CSRF tokens, and the [web]
// config table. (Failure limits and log-outs, kept in the store: persist.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { CookieSigner, parseCookies, setCookie } from '../../src/web/auth/cookies.js';
import { hashPassword, verifyPassword } from '../../src/web/auth/password.js';
import { hashrateChart } from '../../src/web/chart.js';
import { resolveSessionSecret, WEB_SCHEMA } from '../../src/web/config.js';
import { deviceFamily } from '../../src/web/devices.js';
import { clip, escapeHtml, html, trusted } from '../../src/web/escape.js';
import { btc, difficulty, duration, hashrate, ofNetwork } from '../../src/web/format.js';
import { flatten, tempDir, TEST_SCRYPT } from './fixture.js';

test('escapeHtml covers text and quoted attributes; html escapes values but not nested templates', () => {
  assert.equal(
    escapeHtml(`<a href="x" onclick='y'>&\`</a>`),
    '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
  );
  assert.equal(
    escapeHtml('a\u0000b\u001bc\u007fd\u0085e\ud800f\tg\nh'),
    'a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\tg\nh',
  );
  assert.equal(escapeHtml('\ud83d\ude00'), '\ud83d\ude00', 'surrogate pairs stay');
  assert.equal(escapeHtml(null), '');
  const name = '<b>';
  const inner = html`<i>${name}</i>`;
  assert.equal(
    html`<p title="${name}">${inner}${[inner, inner]}${false}${null}</p>`.text,
    '<p title="&lt;b&gt;"><i>&lt;b&gt;</i><i>&lt;b&gt;</i><i>&lt;b&gt;</i></p>',
  );
  assert.equal(html`${trusted('<br>')}`.text, '<br>');
  assert.equal(clip('abcdef', 4), 'abc…');
  assert.equal(clip('\ud83d\ude00'.repeat(5), 3), '\ud83d\ude00\ud83d\ude00…', 'clips by code point');
});

test('number formats', () => {
  assert.equal(hashrate(0), '0 H/s');
  assert.equal(hashrate(1234), '1.23 kH/s');
  assert.equal(hashrate(1.5e12), '1.5 TH/s');
  assert.equal(hashrate(500e18), '500 EH/s');
  assert.equal(difficulty(4.656542373906925e-10), '4.66e-10');
  assert.equal(difficulty(0.00195), '0.00195');
  assert.equal(difficulty(127e12), '127 T');
  assert.equal(duration(42), '42 s');
  assert.equal(duration(600), '10 min');
  assert.equal(duration(9000), '2.5 h');
  assert.equal(duration(3 * 86400), '3.0 days');
  assert.match(duration(10 * 365.25 * 86400), /^10 years$/);
  assert.equal(btc(5_000_000_000n), '50.00000000 BTC');
  assert.equal(btc(-1n), '-0.00000001 BTC');
  assert.equal(ofNetwork(0.5), '50.0000 % of network difficulty');
  assert.equal(ofNetwork(2500), '2.5 k× network difficulty');
});

test('device families from user agents', () => {
  const cases: [string | null, string][] = [
    ['Bitaxe/BM1368/v2.5.0', 'Bitaxe'],
    ['esp-miner/2.1', 'Bitaxe'],
    ['NerdMiner V2', 'NerdMiner'],
    ['NerdMinerV2/1.8.3', 'NerdMiner'],
    ['NerdQAxe++', 'NerdAxe'],
    ['bmminer/2.0.0', 'Antminer'],
    ['Braiins OS 23.03', 'Braiins OS'],
    ['whatsminer/v1.1', 'Whatsminer'],
    ['cpuminer/2.5.1', 'cpuminer'],
    ['Strata/cpu/0.1.0', 'Strata miner'],
    ['via strata-translator', 'via a proxy'],
    ['FooMiner/1.0', 'FooMiner'],
    ['<script>', 'other'],
    ['', 'unknown'],
    [null, 'unknown'],
  ];
  for (const [ua, family] of cases) assert.equal(deviceFamily(ua), family, String(ua));
  assert.equal(deviceFamily('A'.repeat(1000)).length, 32);
});

test('hashrate chart: 144 points scaled to the largest, a flat line when idle', () => {
  const points = Array.from({ length: 144 }, (_, i) => ({
    time: i * 600_000,
    hashrate: i === 143 ? 1e12 : 0,
  }));
  const svg = flatten(hashrateChart(points, 'Pool <hashrate>').text);
  assert.match(
    svg,
    /^<svg class="chart" viewBox="0 0 720 180" role="img" aria-label="Pool &lt;hashrate&gt;" data-points="144" data-max="1000000000000">/,
  );
  const line = /<polyline class="line" points="([^"]+)"/.exec(svg)![1]!.split(' ');
  assert.equal(line.length, 144);
  const ys = line.map((p) => Number(p.split(',')[1]));
  assert.ok(ys[143]! < ys[0]!, 'the last point is higher up');
  assert.match(svg, /1 TH\/s/);
  const idle = hashrateChart(
    points.map((p) => ({ ...p, hashrate: 0 })),
    'idle',
  ).text;
  const flat = /<polyline class="line" points="([^"]+)"/
    .exec(idle)![1]!
    .split(' ')
    .map((p) => p.split(',')[1]);
  assert.equal(new Set(flat).size, 1);
  assert.match(hashrateChart([], 'none').text, /data-points="0"/);
});

test('passwords: scrypt with salt and parameters in the stored form; tampered rows never match', async () => {
  const stored = await hashPassword('hunter2hunter2', TEST_SCRYPT);
  const [scheme, log2n, r, p, salt, key] = stored.split('$');
  assert.deepEqual([scheme, log2n, r, p], ['scrypt', '10', '8', '1']);
  assert.equal(Buffer.from(salt!, 'base64url').length, 16);
  assert.equal(Buffer.from(key!, 'base64url').length, 32);
  assert.equal(await verifyPassword('hunter2hunter2', stored, TEST_SCRYPT), true);
  assert.equal(await verifyPassword('hunter2hunter3', stored, TEST_SCRYPT), false);
  assert.equal(await verifyPassword('hunter2hunter2', null, TEST_SCRYPT), false);
  assert.equal(
    await verifyPassword('hunter2hunter2', stored.replace('$10$', '$40$'), TEST_SCRYPT),
    false,
    'cost out of bounds',
  );
  assert.equal(await verifyPassword('hunter2hunter2', 'plaintext', TEST_SCRYPT), false);
  assert.notEqual(await hashPassword('hunter2hunter2', TEST_SCRYPT), stored, 'a new salt each time');
  // Unicode passwords are compared in one normal form.
  const composed = await hashPassword('caf\u00e9 au lait!', TEST_SCRYPT);
  assert.equal(await verifyPassword('cafe\u0301 au lait!', composed, TEST_SCRYPT), true);
});

test('cookies: parsing, attributes, sessions and CSRF tokens', () => {
  assert.deepEqual(
    [...parseCookies('a=1; b=x=y; a=2; junk; =v')],
    [
      ['a', '1'],
      ['b', 'x=y'],
    ],
  );
  assert.equal(
    setCookie('s', 'v', { maxAgeSeconds: 60, secure: true }),
    's=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure',
  );
  assert.throws(() => new CookieSigner(Buffer.alloc(8)), /at least 16 bytes/);
  const signer = new CookieSigner(Buffer.alloc(32, 1));
  const now = 1_700_000_000_000;
  const { value, session } = signer.issueSession(42, 60, now);
  assert.deepEqual(signer.verifySession(value, now + 1000), session);
  assert.equal(signer.verifySession(value, now + 60_000), null, 'expired');
  assert.equal(signer.verifySession(value.slice(0, -2) + 'AA', now), null, 'bad MAC');
  assert.equal(signer.verifySession('1.2.3', now), null);
  assert.equal(signer.verifySession(undefined, now), null);
  const seed = signer.newCsrfSeed();
  const token = signer.csrfToken(seed);
  assert.equal(signer.csrfValid(seed, token), true);
  assert.equal(signer.csrfValid(signer.newCsrfSeed(), token), false);
  assert.equal(signer.csrfValid(seed, token + 'x'), false);
  assert.equal(signer.csrfValid(undefined, token), false);
  assert.equal(signer.csrfValid(seed, ['array']), false);
  assert.notEqual(new CookieSigner(Buffer.alloc(32, 2)).csrfToken(seed), token, 'tokens depend on the key');
});

test('[web] config table: defaults, values, errors; the session key is generated once and kept', (t) => {
  const schema = { web: WEB_SCHEMA };
  const dir = tempDir(t);
  const defaults = parseConfig(schema, '', { source: 'pool.toml', baseDir: dir }).web;
  assert.equal(defaults.enabled, true);
  assert.deepEqual(defaults.listen_address, { host: '0.0.0.0', port: 8080 });
  assert.equal(defaults.session_ttl, 86400);
  assert.equal(defaults.session_secret_file, undefined);
  const custom = parseConfig(
    schema,
    '[web]\nlisten_address = "127.0.0.1:9090"\nsession_ttl = "2h"\nsession_secret_file = "keys/web.key"\nlogin_max_failures = 3\n',
    { source: 'pool.toml', baseDir: dir },
  ).web;
  assert.deepEqual(custom.listen_address, { host: '127.0.0.1', port: 9090 });
  assert.equal(custom.session_ttl, 7200);
  assert.equal(custom.session_secret_file, join(dir, 'keys', 'web.key'));
  assert.equal(custom.login_max_failures, 3);
  assert.throws(
    () =>
      parseConfig(schema, '[web]\nlisten_address = "nowhere"\nlogin_max_failures = 0\n', {
        source: 'pool.toml',
        baseDir: dir,
      }),
    (err: Error) => /web\.listen_address/.test(err.message) && /web\.login_max_failures/.test(err.message),
  );
  const file = join(dir, 'sub', 'web-session.key');
  const first = resolveSessionSecret({ session_secret: '', session_secret_file: file });
  assert.equal(first.length, 32);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(
    resolveSessionSecret({ session_secret: '', session_secret_file: file }),
    first,
    'kept across restarts',
  );
  assert.equal(readFileSync(file, 'utf8').trim(), first.toString('hex'));
  assert.deepEqual(
    resolveSessionSecret({ session_secret: 'configured secret', session_secret_file: file }),
    Buffer.from('configured secret'),
  );
  writeFileSync(file, 'garbage');
  assert.notDeepEqual(
    resolveSessionSecret({ session_secret: '', session_secret_file: file }),
    first,
    'a damaged file is replaced',
  );
  assert.throws(
    () => resolveSessionSecret({ session_secret: '', session_secret_file: undefined }),
    /session_secret/,
  );
});
