// Share store: committed shares per second through the batched writer (one
// transaction per batch, worker rows and stats buckets included), and the
// /api/stats reads with 1,000 workers and 1,000,000 stored shares.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emit, percentiles } from './harness.js';
import { Store, type ShareInput, type Synchronous } from '../src/store/index.js';

const WORKERS = 1000;
const ACCOUNTS = 100;
const STORED_SHARES = 1_000_000;
const DAY_MS = 86_400_000;

function name(i: number): { account: string; worker: string } {
  return { account: `acct${i % ACCOUNTS}`, worker: `rig${Math.floor(i / ACCOUNTS)}` };
}

async function writerThroughput(dir: string, synchronous: Synchronous, count: number): Promise<void> {
  const store = Store.open(join(dir, `writer-${synchronous}.db`), { synchronous });
  try {
    for (let i = 0; i < WORKERS; i++) store.ensureWorker(name(i).account, name(i).worker);
    const now = Date.now();
    const start = performance.now();
    const pending: Promise<number>[] = [];
    for (let i = 0; i < count; i++) {
      const s: ShareInput = {
        ...name(i % WORKERS),
        difficulty: 1024,
        share_difficulty: 1500 + (i % 977),
        channel_id: i % WORKERS,
        job_id: i,
        time: now + Math.floor(i / 100),
      };
      pending.push(store.enqueue(s));
    }
    await Promise.all(pending);
    const seconds = (performance.now() - start) / 1000;
    emit({
      bench: 'store.writer.committed',
      value: Math.round(count / seconds),
      unit: 'shares/s',
      synchronous,
      shares: count,
      workers: WORKERS,
      max_batch: 1000,
    });
  } finally {
    store.close();
  }
}

/** 1,000,000 shares over the last 24 h from 1,000 workers, and their buckets, in one transaction. */
function generate(store: Store, now: number): void {
  const db = store.db;
  for (let i = 0; i < WORKERS; i++) store.ensureWorker(name(i).account, name(i).worker);
  db.transaction(() => {
    db.prepare(
      `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?)
       INSERT INTO shares (account_id, worker_id, difficulty, share_difficulty, channel_id, job_id, time, is_block)
       SELECT w.account_id, w.id, 1024, 1024 + (i % 7919), w.id, i, CAST(? - (? - i) * ? / ? AS INTEGER), 0
       FROM seq JOIN workers w ON w.id = (i % ?) + 1`,
    ).run(STORED_SHARES, now, STORED_SHARES, DAY_MS, STORED_SHARES, WORKERS);
    for (const [res, size, since] of [
      ['1m', 60_000, now - 3 * 3_600_000],
      ['10m', 600_000, 0],
    ] as const) {
      const bucket = `time - time % ${size}`;
      db.prepare(
        `INSERT INTO stats_worker_${res} (worker_id, bucket, accepted_difficulty, accepted, rejected)
         SELECT worker_id, ${bucket}, SUM(difficulty), COUNT(*), 0 FROM shares WHERE time >= ? GROUP BY 1, 2`,
      ).run(since);
      db.prepare(
        `INSERT INTO stats_account_${res} (account_id, bucket, accepted_difficulty, accepted, rejected)
         SELECT account_id, ${bucket}, SUM(difficulty), COUNT(*), 0 FROM shares WHERE time >= ? GROUP BY 1, 2`,
      ).run(since);
      db.prepare(
        `INSERT INTO stats_pool_${res} (bucket, accepted_difficulty, accepted, rejected)
         SELECT ${bucket}, SUM(difficulty), COUNT(*), 0 FROM shares WHERE time >= ? GROUP BY 1`,
      ).run(since);
    }
    db.exec(
      `UPDATE workers SET accepted = agg.n, last_share_at = agg.last, best_share_difficulty = agg.best,
         current_difficulty = 1024
       FROM (SELECT worker_id, COUNT(*) AS n, MAX(time) AS last, MAX(share_difficulty) AS best
             FROM shares GROUP BY worker_id) AS agg
       WHERE agg.worker_id = workers.id`,
    );
  })();
}

function timeMs(fn: () => unknown, runs: number): { median: number; p99: number } {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  const p = percentiles(samples);
  return { median: Math.round(p.median * 1000) / 1000, p99: Math.round(p.p99 * 1000) / 1000 };
}

export default async function (): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-store-bench-'));
  try {
    await writerThroughput(dir, 'NORMAL', 200_000);
    await writerThroughput(dir, 'FULL', 50_000);

    const path = join(dir, 'stats.db');
    const now = Date.now();
    let store = Store.open(path);
    const g0 = performance.now();
    generate(store, now);
    const genMs = performance.now() - g0;
    const context = { workers: WORKERS, shares: STORED_SHARES, generate_ms: Math.round(genMs) };

    const api = timeMs(() => {
      store.stats.poolStats(now);
      store.stats.poolChart(now);
    }, 200);
    emit({ bench: 'store.api_stats', value: api.median, unit: 'ms', p99: api.p99, ...context });
    const account = timeMs(() => {
      store.stats.accountStats('acct1', now);
      store.stats.accountWorkers('acct1', now);
      store.stats.accountChart('acct1', now);
    }, 200);
    emit({
      bench: 'store.api_account',
      value: account.median,
      unit: 'ms',
      p99: account.p99,
      workers_per_account: 10,
    });

    // PPLNS: N covers every stored share (1,000,000 × 1024 = 1.024e9 = 2 × 5.12e8).
    const netDiff = (STORED_SHARES * 1024) / 2;
    const firstFill = timeMs(() => store.pplnsWindow(netDiff), 1);
    emit({ bench: 'store.pplns.fill', value: firstFill.median, unit: 'ms', window_shares: STORED_SHARES });
    const steady = timeMs(() => store.pplnsWindow(netDiff), 200);
    emit({
      bench: 'store.pplns.window',
      value: steady.median,
      unit: 'ms',
      p99: steady.p99,
      accounts: ACCOUNTS,
    });
    store.close();
    const r0 = performance.now();
    store = Store.open(path);
    emit({ bench: 'store.open_rebuild_window', value: Math.round(performance.now() - r0), unit: 'ms' });
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
