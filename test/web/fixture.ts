// In-process web server over a real SQLite store in a temp dir, a `live`
// stand-in the tests steer, and a cookie-keeping client for fastify inject.
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { NETWORKS, scriptToAddress } from '../../src/bitcoin/index.js';
import { encodeAuthorityPublicKey, generateAuthorityKeyPair } from '../../src/noise/index.js';
import { Store, type ShareInput } from '../../src/store/index.js';
import {
  createWebServer,
  defaultWebConfig,
  LiveCounters,
  type LiveChain,
  type LiveChannel,
  type PoolLive,
  type WebConfig,
  type WebServer,
} from '../../src/web/index.js';

/** Cheap scrypt for tests (the default costs tens of ms per hash). */
export const TEST_SCRYPT = { log2n: 10, r: 8, p: 1 };

export function tempDir(t: TestContext, prefix = 'strata-web-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A regtest P2WPKH address of a made-up key hash `n`. */
export function regtestAddress(n: number): string {
  const script = new Uint8Array(22);
  script[1] = 20;
  script.fill(n & 0xff, 2);
  return scriptToAddress(script, NETWORKS.regtest)!;
}

export class FakeLive implements PoolLive {
  authority_public_key = encodeAuthorityPublicKey(generateAuthorityKeyPair().publicKey);
  sv2_port = 34254;
  payout_mode: 'pplns' | 'solo' = 'pplns';
  pool_fee_percent = 1.5;
  network_name = 'devnet';
  network = NETWORKS.regtest;
  counters = new LiveCounters();
  open: LiveChannel[] = [];
  connectionCount = 0;
  current: LiveChain | null = {
    height: 101,
    nbits: 0x207fffff,
    difficulty: 4.6565423739069247e-10,
    coinbase_value_sats: 5_000_000_000n,
    template_time: Date.now() - 3000,
  };
  connections(): number {
    return this.connectionCount;
  }
  channels(): LiveChannel[] {
    return this.open;
  }
  chain(): LiveChain | null {
    return this.current;
  }
}

export interface WebFixture {
  dir: string;
  store: Store;
  live: FakeLive;
  web: WebServer;
  config: WebConfig;
  /** Closes the web server, then the store (also done when the test ends). */
  stop(): Promise<void>;
}

/**
 * A web server on a store in a fresh temp dir, or in `dir` (the database and
 * session key of an earlier fixture there, after its stop(): a restart).
 */
export async function startWeb(
  t: TestContext,
  options: { config?: Partial<WebConfig>; mode?: 'pplns' | 'solo'; dir?: string } = {},
): Promise<WebFixture> {
  const dir = options.dir ?? tempDir(t);
  const store = await Store.open(join(dir, 'pool.db'));
  const live = new FakeLive();
  if (options.mode) live.payout_mode = options.mode;
  const config = defaultWebConfig({ session_secret_file: join(dir, 'web-session.key'), ...options.config });
  let web: WebServer;
  try {
    web = await createWebServer({
      store,
      live,
      config,
      logger: pino({ level: 'silent' }),
      scrypt: TEST_SCRYPT,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      try {
        await web.close();
      } finally {
        await store.close();
      }
    })());
  t.after(stop);
  await web.app.ready();
  return { dir, store, live, web, config, stop };
}

export function share(
  account: string,
  worker: string,
  difficulty: number,
  time = Date.now(),
  best = difficulty,
): ShareInput {
  return { account, worker, difficulty, share_difficulty: best, channel_id: 1, job_id: 1, time };
}

/** Stores shares and rejects and waits for their commit. */
export async function seed(
  store: Store,
  shares: ShareInput[],
  rejects: { account: string; worker: string; reason: string }[] = [],
): Promise<void> {
  const p: Promise<unknown>[] = [
    ...shares.map((s) => store.enqueue(s)),
    ...rejects.map((r) => store.reject(r)),
  ];
  await store.flush();
  await Promise.all(p);
}

export function flatten(body: string): string {
  return body
    .replace(/\s+/g, ' ')
    .replace(/> </g, '><')
    .replace(/ >/g, '>')
    .replace(/\s*<\/(\w+)\s*>/g, '</$1>');
}

export interface Reply {
  status: number;
  body: string;
  /** The body with whitespace runs collapsed and none between tags (templates are reformatted freely). */
  flat: string;
  headers: Record<string, string | string[] | number | undefined>;
  json<T = Record<string, unknown>>(): T;
}

/** A browser-like client for inject: keeps cookies, reads the CSRF token of the last page. */
export class Client {
  readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(
    private readonly web: WebServer,
    readonly ip = '127.0.0.1',
  ) {}

  #cookieHeader(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  #absorb(headers: Record<string, unknown>, body: string): void {
    const set = headers['set-cookie'];
    const list = set === undefined ? [] : Array.isArray(set) ? (set as string[]) : [String(set)];
    for (const c of list) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const m = /name="csrf" value="([^"]+)"/.exec(body);
    if (m) this.csrf = m[1]!;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
    const cookie = this.#cookieHeader();
    const r = await this.web.app.inject({
      method: 'GET',
      url,
      remoteAddress: this.ip,
      headers: { ...(cookie ? { cookie } : {}), ...headers },
    });
    this.#absorb(r.headers, r.body);
    return {
      status: r.statusCode,
      body: r.body,
      flat: flatten(r.body),
      headers: r.headers,
      json: () => r.json(),
    };
  }

  /** POSTs a form; the CSRF token of the last page is added unless `csrf` is given (null = none). */
  async post(url: string, fields: Record<string, string>, csrf: string | null = this.csrf): Promise<Reply> {
    const form = new URLSearchParams(fields);
    if (csrf !== null) form.set('csrf', csrf);
    const cookie = this.#cookieHeader();
    const r = await this.web.app.inject({
      method: 'POST',
      url,
      remoteAddress: this.ip,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      payload: form.toString(),
    });
    this.#absorb(r.headers, r.body);
    return {
      status: r.statusCode,
      body: r.body,
      flat: flatten(r.body),
      headers: r.headers,
      json: () => r.json(),
    };
  }

  /** Signs up (fetching the form first for its token). */
  async signup(name: string, password: string): Promise<Reply> {
    await this.get('/signup');
    return this.post('/signup', { name, password });
  }

  async login(name: string, password: string): Promise<Reply> {
    await this.get('/login');
    return this.post('/login', { name, password });
  }
}
