// The pool's web routes through fastify inject on a real SQLite store in a
// temp dir: fuzzed methods, paths, query strings, headers, cookies and form
// bodies. A 5xx answer or a throw from inject is a finding.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Store } from '../../../src/store/index.js';
import { createWebServer, defaultWebConfig, type WebServer } from '../../../src/web/index.js';
import { FakeLive, regtestAddress, TEST_SCRYPT } from '../../web/fixture.js';
import { utf8, type FuzzTarget, type Rng } from '../core.js';

const ROUTES = [
  'GET /',
  'GET /signup',
  'POST /signup',
  'GET /login',
  'POST /login',
  'POST /logout',
  'GET /account',
  'POST /account/payout-address',
  'GET /api/stats',
  'GET /api/blocks',
  'GET /api/miners',
  'GET /api/miner/fuzzer',
  'GET /api/account',
  'GET /healthz',
  'GET /metrics',
  'GET /style.css',
  'GET /app.js',
  'GET /nope',
];
const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded; charset=latin1',
  '',
];

let web: WebServer | undefined;
let store: Store | undefined;
let dir: string | undefined;
let cookie = '';
let csrf = '';

function cookiesOf(headers: Record<string, unknown>): string {
  const set = headers['set-cookie'];
  const list = set === undefined ? [] : Array.isArray(set) ? (set as string[]) : [String(set)];
  return list.map((c) => c.split(';')[0]!).join('; ');
}

/** A request as text: `METHOD /path?query`, header lines, a blank line, the body. */
function requestText(rng: Rng): string {
  const [method, route] = rng.pick(ROUTES).split(' ') as [string, string];
  const path = route.replace(
    'fuzzer',
    rng.pick([
      'fuzzer',
      'FUZZER',
      '%ZZ',
      '%00',
      'a'.repeat(rng.size(3000)),
      '..%2F..',
      '%E2%82%AC',
      '',
      regtestAddress(1),
    ]),
  );
  const headers: string[] = [];
  const fields: string[] = [];
  if (rng.chance(0.8)) fields.push(`csrf=${rng.chance(0.8) ? '$CSRF' : 'x'}`);
  if (rng.chance(0.7))
    fields.push(
      `name=${rng.pick(['fuzzer', '', 'a'.repeat(300), '%00', 'bcrt1q' + 'q'.repeat(38), regtestAddress(rng.int(256)), '%E2%82%AC'])}`,
    );
  if (rng.chance(0.7))
    fields.push(`password=${rng.pick(['correct horse battery', 'x', 'p'.repeat(2000), '%FF%FE'])}`);
  if (rng.chance(0.5))
    fields.push(`address=${rng.pick([regtestAddress(rng.int(256)), 'bc1qxyz', '', '1'.repeat(200)])}`);
  if (rng.chance(0.1)) fields.push('name=dup&name=dup2');
  const body = method === 'POST' ? fields.join('&') : '';
  if (rng.chance(0.8))
    headers.push(
      `cookie: ${rng.chance(0.7) ? '$COOKIE' : rng.pick(['strata_session=abc.def', 'a=b; =; ;;', 'strata_csrf=' + 'z'.repeat(100)])}`,
    );
  if (method === 'POST' || rng.chance(0.1)) headers.push(`content-type: ${rng.pick(CONTENT_TYPES)}`);
  if (rng.chance(0.2))
    headers.push(`host: ${rng.pick(['pool.example', '', '[::1]:8080', 'a'.repeat(300), 'x:y:z'])}`);
  if (rng.chance(0.1)) headers.push(`x-forwarded-for: 1.2.3.4`);
  if (rng.chance(0.1)) headers.push(`accept: ${rng.pick(['application/json', '*/*', 'text/html;q=0.1'])}`);
  if (rng.chance(0.1)) headers.push(`content-length: ${rng.pick([0, 1, 100000, -1])}`);
  const query = rng.chance(0.2)
    ? rng.pick(['?saved=1', '?limit=999999', '?limit=-1', '?a[b]=c', '?%zz', '?saved=1&saved=2'])
    : '';
  return `${method} ${path}${query}\n${headers.join('\n')}\n\n${body}`;
}

/** Characters Node's HTTP parser refuses in a header value (tab is allowed). */
const controlChar = (c: string): boolean => (c < ' ' && c !== '\t') || c === '\x7f';

interface Parsed {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Reads a request text leniently; header lines Node's HTTP parser would refuse are dropped, as it would never deliver them. */
function parse(input: Uint8Array): Parsed {
  const buf = Buffer.from(input);
  const split = buf.indexOf('\n\n');
  const head = (split < 0 ? buf : buf.subarray(0, split)).toString('latin1');
  const body = split < 0 ? Buffer.alloc(0) : buf.subarray(split + 2);
  const [first = '', ...lines] = head.split('\n');
  const [m = 'GET', u = '/'] = first.split(' ');
  const method = METHODS.includes(m) ? m : 'GET';
  let url = /^\/[\x21-\x7e]*$/.test(u) ? u : '/';
  url = url.replace('$CSRF', csrf);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line
      .slice(colon + 1)
      .trim()
      .replace('$COOKIE', cookie)
      .replace('$CSRF', csrf);
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) || [...value].some(controlChar)) continue;
    if (name === 'content-length' || name === 'transfer-encoding') continue;
    headers[name] = value;
  }
  return {
    method,
    url,
    headers,
    body: Buffer.from(body.toString('latin1').replace('$CSRF', csrf), 'latin1'),
  };
}

export const webRoutes: FuzzTarget = {
  name: 'web',
  description:
    'the pool web server (fastify inject, real SQLite store) on fuzzed method, path, query, headers, cookies and form bodies; no 5xx, no throw',
  maxLength: 8192,
  dictionary: [
    '\n',
    '\n\n',
    '&',
    '=',
    '%',
    '$COOKIE',
    '$CSRF',
    'csrf=',
    'name=',
    'password=',
    'cookie: ',
    'content-type: ',
    ';',
    '..',
    '%00',
  ],
  async setup() {
    if (web) return;
    dir = mkdtempSync(join(tmpdir(), 'strata-fuzz-web-'));
    store = await Store.open(join(dir, 'pool.db'));
    web = await createWebServer({
      store,
      live: new FakeLive(),
      config: defaultWebConfig({
        session_secret_file: join(dir, 'web-session.key'),
        signup_per_hour: 1_000_000,
      }),
      logger: pino({ level: 'silent' }),
      scrypt: TEST_SCRYPT,
    });
    await web.app.ready();
    // A real account and session, so fuzzed requests can carry a valid cookie and CSRF token.
    const page = await web.app.inject({ method: 'GET', url: '/signup' });
    const first = cookiesOf(page.headers);
    csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const signup = await web.app.inject({
      method: 'POST',
      url: '/signup',
      headers: { cookie: first, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `csrf=${encodeURIComponent(csrf)}&name=fuzzer&password=${encodeURIComponent('correct horse battery')}`,
    });
    cookie = [first, cookiesOf(signup.headers)].filter((c) => c !== '').join('; ');
  },
  async teardown() {
    try {
      await web?.close();
    } finally {
      await store?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
      web = undefined;
      store = undefined;
      dir = undefined;
    }
  },
  seeds: () =>
    [
      'GET /\ncookie: $COOKIE\n\n',
      'POST /account/payout-address\ncookie: $COOKIE\ncontent-type: application/x-www-form-urlencoded\n\ncsrf=$CSRF&address=' +
        regtestAddress(1),
      'POST /login\ncookie: $COOKIE\ncontent-type: application/x-www-form-urlencoded\n\ncsrf=$CSRF&name=fuzzer&password=wrong',
      'GET /api/account\ncookie: $COOKIE\n\n',
      'GET /metrics\n\n',
    ].map(utf8),
  generate: (rng) => utf8(requestText(rng)),
  async run(input) {
    const r = parse(input);
    const res = await web!.app.inject({
      method: r.method as 'GET',
      url: r.url,
      headers: r.headers,
      remoteAddress: '127.0.0.1',
      ...(r.body.length > 0 ? { payload: r.body } : {}),
    });
    if (res.statusCode >= 500)
      throw new Error(`${r.method} ${r.url.split('?')[0]} answered ${res.statusCode}`);
  },
};
