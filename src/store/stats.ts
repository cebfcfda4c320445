// Read side for the web page and JSON API. Every query reads the pre-aggregated
// buckets or the small accounts/workers tables, never the shares table:
// hashrate = Σ accepted difficulty × 2^32 / seconds covered.
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './db.js';
import { bucketStart, MINUTE_MS, TEN_MINUTES_MS } from './buckets.js';

/** The SubmitShares.Error code counted as stale. */
export const STALE_REASON = 'stale-share';
/** A worker counts as online when its last share is this recent. */
export const ONLINE_WINDOW_MS = 10 * MINUTE_MS;
export const CHART_POINTS = 144;

const HASHES_PER_DIFFICULTY = 2 ** 32;

export interface HashrateWindows {
  /** Hashes per second over the last 10 minutes, 1 hour and 24 hours. */
  hashrate_10m: number;
  hashrate_1h: number;
  hashrate_24h: number;
}

export interface ChartPoint {
  /** Start of the 10-minute bucket (ms). */
  time: number;
  hashrate: number;
  accepted: number;
  rejected: number;
}

export interface WorkerStats extends HashrateWindows {
  name: string;
  user_agent: string | null;
  first_seen: number;
  last_share_at: number | null;
  online: boolean;
  best_share_difficulty: number;
  current_difficulty: number | null;
  accepted: number;
  rejected: number;
  /** Rejected shares in the last 24 h by reason. */
  rejects_24h: Record<string, number>;
}

export interface Totals {
  accepted: number;
  rejected: number;
  stale: number;
}

export interface BestShare {
  account: string;
  worker: string;
  difficulty: number;
}

export interface PoolStats extends HashrateWindows {
  time: number;
  accounts: number;
  workers: number;
  workers_online: number;
  totals: Totals;
  best_share: BestShare | null;
  blocks_found: number;
  last_block: { height: number; hash: string; time: number; status: string } | null;
}

export interface AccountStats extends HashrateWindows {
  account: string;
  payout_address: string | null;
  workers: number;
  workers_online: number;
  totals: Totals;
  best_share_difficulty: number;
}

type Scope = 'pool' | 'account' | 'worker';

interface WindowSpec {
  table: '1m' | '10m';
  size: number;
  count: number;
}

const WINDOWS: Record<keyof HashrateWindows, WindowSpec> = {
  hashrate_10m: { table: '1m', size: MINUTE_MS, count: 10 },
  hashrate_1h: { table: '1m', size: MINUTE_MS, count: 60 },
  hashrate_24h: { table: '10m', size: TEN_MINUTES_MS, count: 144 },
};

/** First bucket of a window that ends with the bucket holding `now`, and the seconds it covers. */
function span(w: WindowSpec, now: number): { first: number; last: number; seconds: number } {
  const last = bucketStart(now, w.size);
  const first = last - (w.count - 1) * w.size;
  return { first, last, seconds: Math.max(1, (now - first) / 1000) };
}

function rate(difficulty: number, seconds: number): number {
  return (difficulty * HASHES_PER_DIFFICULTY) / seconds;
}

export class StoreStats {
  private readonly cache = new Map<string, Statement>();

  constructor(private readonly db: SqliteDatabase) {}

  private q(sql: string): Statement {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.cache.set(sql, st);
    }
    return st;
  }

  private accountRow(
    account: string,
  ): { id: number; name: string; payout_address: string | null } | undefined {
    return this.q('SELECT id, name, payout_address FROM accounts WHERE name = ?').get(account) as
      { id: number; name: string; payout_address: string | null } | undefined;
  }

  private windows(scope: Scope, id: number, now: number): HashrateWindows {
    const out = { hashrate_10m: 0, hashrate_1h: 0, hashrate_24h: 0 };
    for (const key of Object.keys(WINDOWS) as (keyof HashrateWindows)[]) {
      const w = WINDOWS[key];
      const { first, last, seconds } = span(w, now);
      const where = scope === 'pool' ? '' : `${scope}_id = ? AND `;
      const args = scope === 'pool' ? [first, last] : [id, first, last];
      const row = this.q(
        `SELECT COALESCE(SUM(accepted_difficulty), 0) AS d FROM stats_${scope}_${w.table}
         WHERE ${where}bucket BETWEEN ? AND ?`,
      ).get(...args) as { d: number };
      out[key] = rate(row.d, seconds);
    }
    return out;
  }

  private chart(scope: Scope, id: number, now: number): ChartPoint[] {
    const last = bucketStart(now, TEN_MINUTES_MS);
    const first = last - (CHART_POINTS - 1) * TEN_MINUTES_MS;
    const where = scope === 'pool' ? '' : `${scope}_id = ? AND `;
    const args = scope === 'pool' ? [first, last] : [id, first, last];
    const rows = this.q(
      `SELECT bucket, accepted_difficulty, accepted, rejected FROM stats_${scope}_10m
       WHERE ${where}bucket BETWEEN ? AND ?`,
    ).all(...args) as { bucket: number; accepted_difficulty: number; accepted: number; rejected: number }[];
    const byBucket = new Map(rows.map((r) => [r.bucket, r]));
    const points: ChartPoint[] = [];
    for (let i = 0; i < CHART_POINTS; i++) {
      const time = first + i * TEN_MINUTES_MS;
      const r = byBucket.get(time);
      // The current bucket is still filling: divide by the time it has covered.
      const seconds = time === last ? Math.max(1, (now - last) / 1000) : TEN_MINUTES_MS / 1000;
      points.push({
        time,
        hashrate: r ? rate(r.accepted_difficulty, seconds) : 0,
        accepted: r?.accepted ?? 0,
        rejected: r?.rejected ?? 0,
      });
    }
    return points;
  }

  poolHashrate(now = Date.now()): HashrateWindows {
    return this.windows('pool', 0, now);
  }

  /** 144 points of 10 minutes, the last one holding `now`. */
  poolChart(now = Date.now()): ChartPoint[] {
    return this.chart('pool', 0, now);
  }

  accountHashrate(account: string, now = Date.now()): HashrateWindows | undefined {
    const a = this.accountRow(account);
    return a ? this.windows('account', a.id, now) : undefined;
  }

  accountChart(account: string, now = Date.now()): ChartPoint[] | undefined {
    const a = this.accountRow(account);
    return a ? this.chart('account', a.id, now) : undefined;
  }

  totals(): Totals {
    const w = this.q(
      'SELECT COALESCE(SUM(accepted), 0) AS a, COALESCE(SUM(rejected), 0) AS r FROM workers',
    ).get() as {
      a: number;
      r: number;
    };
    const s = this.q('SELECT COALESCE(SUM(count), 0) AS s FROM reject_totals WHERE reason = ?').get(
      STALE_REASON,
    ) as {
      s: number;
    };
    return { accepted: w.a, rejected: w.r, stale: s.s };
  }

  bestShare(): BestShare | null {
    const r = this.q(
      `SELECT a.name AS account, w.name AS worker, w.best_share_difficulty AS difficulty
       FROM workers w JOIN accounts a ON a.id = w.account_id
       WHERE w.best_share_difficulty > 0 ORDER BY w.best_share_difficulty DESC, w.id LIMIT 1`,
    ).get() as BestShare | undefined;
    return r ?? null;
  }

  /** Everything /api/stats shows, from a handful of indexed reads. */
  poolStats(now = Date.now()): PoolStats {
    const counts = this.q(
      `SELECT (SELECT COUNT(*) FROM accounts) AS accounts, COUNT(*) AS workers,
         COALESCE(SUM(last_share_at >= ?), 0) AS online FROM workers`,
    ).get(now - ONLINE_WINDOW_MS) as { accounts: number; workers: number; online: number };
    const blocks = this.q('SELECT COUNT(*) AS n FROM blocks').get() as { n: number };
    const last = this.q(
      'SELECT height, hash, time, status FROM blocks ORDER BY time DESC, height DESC LIMIT 1',
    ).get() as PoolStats['last_block'] | undefined;
    return {
      time: now,
      ...this.poolHashrate(now),
      accounts: counts.accounts,
      workers: counts.workers,
      workers_online: counts.online,
      totals: this.totals(),
      best_share: this.bestShare(),
      blocks_found: blocks.n,
      last_block: last ?? null,
    };
  }

  accountStats(account: string, now = Date.now()): AccountStats | undefined {
    const a = this.accountRow(account);
    if (!a) return undefined;
    const w = this.q(
      `SELECT COUNT(*) AS workers, COALESCE(SUM(last_share_at >= ?), 0) AS online,
         COALESCE(SUM(accepted), 0) AS accepted, COALESCE(SUM(rejected), 0) AS rejected,
         COALESCE(MAX(best_share_difficulty), 0) AS best
       FROM workers WHERE account_id = ?`,
    ).get(now - ONLINE_WINDOW_MS, a.id) as {
      workers: number;
      online: number;
      accepted: number;
      rejected: number;
      best: number;
    };
    const stale = this.q(
      'SELECT COALESCE(SUM(count), 0) AS s FROM reject_totals WHERE account_id = ? AND reason = ?',
    ).get(a.id, STALE_REASON) as { s: number };
    return {
      account: a.name,
      payout_address: a.payout_address,
      ...this.windows('account', a.id, now),
      workers: w.workers,
      workers_online: w.online,
      totals: { accepted: w.accepted, rejected: w.rejected, stale: stale.s },
      best_share_difficulty: w.best,
    };
  }

  /** The account's workers with hashrate windows, counts and 24 h rejects by reason, by name. */
  accountWorkers(account: string, now = Date.now()): WorkerStats[] | undefined {
    const a = this.accountRow(account);
    if (!a) return undefined;
    const rows = this.q(
      `SELECT id, name, user_agent, first_seen, last_share_at, best_share_difficulty, current_difficulty,
         accepted, rejected FROM workers WHERE account_id = ? ORDER BY name`,
    ).all(a.id) as (Omit<WorkerStats, keyof HashrateWindows | 'online' | 'rejects_24h'> & { id: number })[];
    const rates = new Map<number, HashrateWindows>();
    for (const key of Object.keys(WINDOWS) as (keyof HashrateWindows)[]) {
      const w = WINDOWS[key];
      const { first, last, seconds } = span(w, now);
      const sums = this.q(
        `SELECT s.worker_id AS id, SUM(s.accepted_difficulty) AS d FROM workers w
         JOIN stats_worker_${w.table} s ON s.worker_id = w.id AND s.bucket BETWEEN ? AND ?
         WHERE w.account_id = ? GROUP BY s.worker_id`,
      ).all(first, last, a.id) as { id: number; d: number }[];
      for (const s of sums) {
        let r = rates.get(s.id);
        if (!r) rates.set(s.id, (r = { hashrate_10m: 0, hashrate_1h: 0, hashrate_24h: 0 }));
        r[key] = rate(s.d, seconds);
      }
    }
    const since = bucketStart(now, TEN_MINUTES_MS) - (CHART_POINTS - 1) * TEN_MINUTES_MS;
    const rejects = this.q(
      `SELECT r.worker_id AS id, r.reason, SUM(r.count) AS n FROM workers w
       JOIN rejects r ON r.worker_id = w.id AND r.bucket >= ?
       WHERE w.account_id = ? GROUP BY r.worker_id, r.reason ORDER BY r.reason`,
    ).all(since, a.id) as { id: number; reason: string; n: number }[];
    const byWorker = new Map<number, Record<string, number>>();
    for (const r of rejects) {
      const m = byWorker.get(r.id) ?? {};
      m[r.reason] = r.n;
      byWorker.set(r.id, m);
    }
    return rows.map(({ id, ...w }) => ({
      ...w,
      online: w.last_share_at !== null && w.last_share_at >= now - ONLINE_WINDOW_MS,
      ...(rates.get(id) ?? { hashrate_10m: 0, hashrate_1h: 0, hashrate_24h: 0 }),
      rejects_24h: byWorker.get(id) ?? {},
    }));
  }
}
