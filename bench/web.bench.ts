// Web page: GET /api/stats requests per second over loopback HTTP (keep-alive,
// 16 requests in flight, with the server's busy time per request) and the
// home and account pages' server time, with
// 1,000 workers (100 accounts × 10) and 1,000,000 stored shares of the last 24 h.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { NETWORKS } from '../src/bitcoin/index.js';
import { Store } from '../src/store/index.js';
import {
  createWebServer,
  defaultWebConfig,
  LiveCounters,
  type LiveChannel,
  type WebServer,
  type PoolLive,
} from '../src/web/index.js';
import { engineOf } from '../src/web/engine.js';
import { emit, percentiles } from './harness.js';

const ACCOUNTS = 100;
const WORKERS_PER_ACCOUNT = 10;
const SHARES = 1_000_000;
const DAY_MS = 86_400_000;
const IN_FLIGHT = 16;
const HTTP_SECONDS = 3;
const AGENTS = ['Bitaxe/BM1366/2.4', 'NerdQAxe++/1.0', 'bmminer/2.0.0', 'cpuminer/2.5.1', 'Strata/cpu/0.1.0'];

/** Accounts, workers, shares spread evenly over the last 24 h, and the buckets they make, in one transaction. */
async function seed(store: Store, now: number): Promise<void> {
  for (let a = 0; a < ACCOUNTS; a++) {
    for (let w = 0; w < WORKERS_PER_ACCOUNT; w++) {
      await store.ensureWorker(`miner${a}`, `w${w}`, { user_agent: AGENTS[(a + w) % AGENTS.length] });
    }
  }
  const workers = ACCOUNTS * WORKERS_PER_ACCOUNT;
  await engineOf(store).transaction(async (q) => {
    await q.run(
      `WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < ? - 1)
       INSERT INTO shares (account_id, worker_id, difficulty, share_difficulty, channel_id, job_id, time)
       SELECT w.account_id, w.id, 2048, 2048 + k % 10007, w.id, k, CAST(? - ? + (k * ?) / ? AS INTEGER)
       FROM n JOIN workers w ON w.id = 1 + k % ?`,
      [SHARES, now, DAY_MS, DAY_MS, SHARES, workers],
    );
    for (const [res, size] of [
      ['1m', 60_000],
      ['10m', 600_000],
    ] as const) {
      const b = `(time / ${size}) * ${size}`;
      await q.run(`INSERT INTO stats_pool_${res} (bucket, accepted_difficulty, accepted)
               SELECT ${b}, SUM(difficulty), COUNT(*) FROM shares GROUP BY 1`);
      await q.run(`INSERT INTO stats_account_${res} (account_id, bucket, accepted_difficulty, accepted)
               SELECT account_id, ${b}, SUM(difficulty), COUNT(*) FROM shares GROUP BY 1, 2`);
      await q.run(`INSERT INTO stats_worker_${res} (worker_id, bucket, accepted_difficulty, accepted)
               SELECT worker_id, ${b}, SUM(difficulty), COUNT(*) FROM shares GROUP BY 1, 2`);
    }
    await q.run(`UPDATE workers SET accepted = t.n, last_share_at = t.last, best_share_difficulty = t.best,
               current_difficulty = 2048
             FROM (SELECT worker_id, COUNT(*) AS n, MAX(time) AS last, MAX(share_difficulty) AS best
                   FROM shares GROUP BY worker_id) AS t
             WHERE t.worker_id = workers.id`);
  });
}

function live(): PoolLive {
  const channels: LiveChannel[] = [];
  for (let a = 0; a < ACCOUNTS; a++) {
    for (let w = 0; w < WORKERS_PER_ACCOUNT; w++) {
      channels.push({
        account: `miner${a}`,
        worker: `w${w}`,
        channel_id: channels.length + 1,
        user_agent: AGENTS[(a + w) % AGENTS.length]!,
        difficulty: 2048,
        best_share_difficulty: 4096,
      });
    }
  }
  return {
    authority_public_key: '9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH72',
    sv2_port: 34254,
    payout_mode: 'pplns',
    pool_fee_percent: 1,
    network_name: 'devnet',
    network: NETWORKS.regtest,
    counters: new LiveCounters(),
    connections: () => channels.length,
    channels: () => channels,
    chain: () => ({
      height: 900_000,
      nbits: 0x1702c4e4,
      difficulty: 1.2e14,
      coinbase_value_sats: 315_000_000n,
      template_time: Date.now() - 5000,
    }),
  };
}

// The load generator runs in a worker thread so the server keeps the main thread to itself.
const LOAD = `
const { workerData, parentPort } = require('node:worker_threads');
const { url, seconds, inFlight } = workerData;
(async () => {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(url + ' answered ' + r.status);
      done++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, loop));
  parentPort.postMessage({ done, ms: performance.now() - start });
})().catch((err) => { throw err; });
`;

/**
 * Keeps IN_FLIGHT keep-alive requests going for `seconds`: completed requests
 * per second, and the server's own cost (main-thread busy ms per request), which
 * tells a slow server from a saturated client on a loaded machine.
 */
async function requestsPerSecond(
  url: string,
  seconds: number,
): Promise<{ rps: number; server_ms_per_request: number }> {
  const elu = performance.eventLoopUtilization();
  const { done, ms } = await new Promise<{ done: number; ms: number }>((resolve, reject) => {
    const worker = new Worker(LOAD, { eval: true, workerData: { url, seconds, inFlight: IN_FLIGHT } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const busy = performance.eventLoopUtilization(elu).active;
  return {
    rps: Math.round((done * 1000) / ms),
    server_ms_per_request: Math.round((busy / Math.max(1, done)) * 1000) / 1000,
  };
}

async function serverTime(
  run: () => Promise<unknown>,
  runs: number,
): Promise<{ median: number; p99: number }> {
  for (let i = 0; i < 5; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  const p = percentiles(samples);
  return { median: Math.round(p.median * 100) / 100, p99: Math.round(p.p99 * 100) / 100 };
}

export default async function (): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-web-bench-'));
  const store = await Store.open(join(dir, 'pool.db'));
  const config = defaultWebConfig({ session_secret: 'bench session secret, not for use' });
  let web: WebServer | undefined;
  try {
    web = await createWebServer({ store, live: live(), config, logger: pino({ level: 'silent' }) });
    const server = web;
    const now = Date.now();
    const t0 = performance.now();
    await seed(store, now);
    const context = {
      workers: ACCOUNTS * WORKERS_PER_ACCOUNT,
      shares: SHARES,
      seed_ms: Math.round(performance.now() - t0),
    };
    const { port } = await server.listen('127.0.0.1', 0);
    const injected = await serverTime(() => server.app.inject({ url: '/api/stats' }), 50);
    emit({
      bench: 'web.api_stats_server_time',
      value: injected.median,
      unit: 'ms',
      p99: injected.p99,
      ...context,
    });
    const load = await requestsPerSecond(`http://127.0.0.1:${port}/api/stats`, HTTP_SECONDS);
    emit({
      bench: 'web.api_stats',
      value: load.rps,
      unit: 'req/s',
      in_flight: IN_FLIGHT,
      server_ms_per_request: load.server_ms_per_request,
      stats_cache_seconds: config.stats_cache,
      ...context,
    });

    const home = await serverTime(() => server.app.inject({ url: '/' }), 100);
    emit({ bench: 'web.home_page', value: home.median, unit: 'ms', p99: home.p99, ...context });

    // The account page of a 10-worker account, signed in.
    const passwordForm = new URLSearchParams({ name: 'benchuser', password: 'bench password 1234' });
    const signupPage = await server.app.inject({ url: '/signup' });
    const csrfCookie = String(signupPage.headers['set-cookie']).split(';')[0]!;
    passwordForm.set('csrf', /name="csrf" value="([^"]+)"/.exec(signupPage.body)![1]!);
    const created = await server.app.inject({
      method: 'POST',
      url: '/signup',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
      payload: passwordForm.toString(),
    });
    const session = String(created.headers['set-cookie']).split(';')[0]!;
    for (let w = 0; w < WORKERS_PER_ACCOUNT; w++) await store.ensureWorker('benchuser', `w${w}`);
    await engineOf(store).run(
      `INSERT INTO stats_worker_10m (worker_id, bucket, accepted_difficulty, accepted)
       SELECT n.id, s.bucket, s.accepted_difficulty, s.accepted FROM workers n
       JOIN workers o ON o.name = n.name AND o.account_id = (SELECT id FROM accounts WHERE name = 'miner0')
       JOIN stats_worker_10m s ON s.worker_id = o.id
       WHERE n.account_id = (SELECT id FROM accounts WHERE name = 'benchuser')`,
    );
    const account = await serverTime(
      () => server.app.inject({ url: '/account', headers: { cookie: `${session}; ${csrfCookie}` } }),
      100,
    );
    emit({
      bench: 'web.account_page',
      value: account.median,
      unit: 'ms',
      p99: account.p99,
      workers_per_account: 10,
    });
  } finally {
    await web?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
