// Read side for the web page and JSON API. Every query reads the pre-aggregated
// buckets or the small accounts/workers tables, never the shares table, and
// is written once for both engines (SQLite and PostgreSQL): no SQLite-only
// functions, conditional sums as CASE, id lists bound in chunks, and text
// ordered in code where the order shows.
//
// Hashrate = Σ accepted difficulty × 2^32 / seconds covered. A window covers
// its buckets up to `now`; but a pool, account or worker whose work starts
// inside the window (no data in the window's length before it) covers only
// the time since then: from its first bucket with data in the window (for
// the 24 h window refined with the 1-minute buckets while they are kept),
// refined again to the moment it was first seen when that falls inside that
// bucket. So five minutes of work show at their rate, not at half of it in
// the 10-minute window, while a miner whose shares are merely sparse keeps
// the whole window. The cover is at least a minute (or the whole window, if
// shorter), so a first share just after a start does not read as a burst.
import { readByIds } from './in-list.js';
import type { SqlEngine, SqlParam } from './sql.js';
import { bucketStart, MINUTE_BUCKETS_KEEP_MS, MINUTE_MS, TEN_MINUTES_MS } from './buckets.js';

/** The SubmitShares.Error code counted as stale. */
export const STALE_REASON = 'stale-share';
/** A worker counts as online when its last share is this recent. */
export const ONLINE_WINDOW_MS = 10 * MINUTE_MS;
export const CHART_POINTS = 144;
/** The least time a hashrate figure is taken to cover. */
export const MIN_COVER_MS = MINUTE_MS;

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
  /** Blocks the chain kept (pending and confirmed). */
  blocks_found: number;
  /** Candidates that are valid but not on the best chain. */
  blocks_orphaned: number;
  /** Candidates the node refused as invalid. */
  blocks_rejected: number;
  /** The newest block the chain kept. */
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

export type Scope = 'pool' | 'account' | 'worker';
export type HashrateWindow = keyof HashrateWindows;

interface WindowSpec {
  table: '1m' | '10m';
  size: number;
  count: number;
}

const WINDOWS: Record<HashrateWindow, WindowSpec> = {
  hashrate_10m: { table: '1m', size: MINUTE_MS, count: 10 },
  hashrate_1h: { table: '1m', size: MINUTE_MS, count: 60 },
  hashrate_24h: { table: '10m', size: TEN_MINUTES_MS, count: 144 },
};
const ALL_WINDOWS = Object.keys(WINDOWS) as HashrateWindow[];

/** First and last bucket of a window that ends with the bucket holding `now`. */
function span(w: WindowSpec, now: number): { first: number; last: number } {
  const last = bucketStart(now, w.size);
  return { first: last - (w.count - 1) * w.size, last };
}

/**
 * Seconds a window's figure covers for one pool, account or worker whose
 * data starts at bucket `dataFirst` (of `size` ms) inside the window and not
 * before it: from `dataFirst`, moved on to `fineFirst` (its first 1-minute
 * bucket) when that lies inside the first bucket, then to `since` (when it
 * was first seen) when that lies inside the bucket reached so far. At least
 * MIN_COVER_MS, or the whole window if that is shorter.
 */
export function coveredSeconds(
  windowFirst: number,
  now: number,
  dataFirst: number,
  size: number,
  fineFirst: number | null = null,
  since: number | null = null,
): number {
  let start = Math.max(windowFirst, dataFirst);
  let resolution = size;
  if (fineFirst !== null && fineFirst >= start && fineFirst < start + resolution) {
    start = fineFirst;
    resolution = MINUTE_MS;
  }
  if (since !== null && since >= start && since < start + resolution) start = since;
  const floor = Math.min(MIN_COVER_MS, now - windowFirst);
  return Math.max(1, floor, now - start) / 1000;
}

function rate(difficulty: number, seconds: number): number {
  return (difficulty * HASHES_PER_DIFFICULTY) / seconds;
}

/** Which pools, accounts or workers a grouped read covers: all, or the ids a subquery yields. */
export interface KeyFilter {
  /** A SELECT of one id column, e.g. `SELECT id FROM workers WHERE account_id = ?`. */
  sql: string;
  args: SqlParam[];
}

const KEY: Record<Scope, string> = { pool: '0', account: 'account_id', worker: 'worker_id' };

function emptyWindows(): HashrateWindows {
  return { hashrate_10m: 0, hashrate_1h: 0, hashrate_24h: 0 };
}

const utf8 = new TextEncoder();

/** Orders strings by their UTF-8 bytes, as SQLite's BINARY collation does (whatever the server's locale). */
export function byteOrder(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(utf8.encode(a), utf8.encode(b));
}

/** The engine behind a source: an engine as it is, a better-sqlite3 database wrapped once. */

export class StoreStats {
  /** `engine`: the store's, which every read goes through. */
  constructor(readonly engine: SqlEngine) {}

  private accountRow(
    account: string,
  ): Promise<{ id: number; name: string; payout_address: string | null } | undefined> {
    return this.engine.get('SELECT id, name, payout_address FROM accounts WHERE name = ?', [account]);
  }

  /**
   * Hashrate windows per id of a scope (the pool's id is 0): every id with
   * work in the last 24 h, or those `keys` selects. Ids without work in a
   * window have 0 there.
   */
  async hashrates(
    scope: Scope,
    now = Date.now(),
    keys?: KeyFilter,
    windows: readonly HashrateWindow[] = ALL_WINDOWS,
  ): Promise<Map<number, HashrateWindows>> {
    const key = KEY[scope];
    const keyIn = keys && scope !== 'pool' ? `AND ${key} IN (${keys.sql})` : '';
    const keyArgs = keys && scope !== 'pool' ? keys.args : [];
    const group = scope === 'pool' ? '' : `GROUP BY ${key}`;
    // The windows are read side by side (on PostgreSQL, on several
    // connections) and merged in their order; when the ids were first seen is
    // read once, by the first window that needs it.
    let since: Promise<Map<number, number>> | undefined;
    const perWindow = await Promise.all(
      windows.map(async (name) => {
        const w = WINDOWS[name];
        const { first, last } = span(w, now);
        const rows = await this.engine.all<{ id: number; d: number | null; first: number | null }>(
          `SELECT ${key} AS id, SUM(accepted_difficulty) AS d, MIN(bucket) AS first FROM stats_${scope}_${w.table}
           WHERE bucket BETWEEN ? AND ? ${keyIn} ${group}`,
          [first, last, ...keyArgs],
        );
        const present = rows.filter((r) => r.first !== null) as { id: number; d: number; first: number }[];
        const rates: [number, number][] = [];
        if (present.length === 0) return { name, rates };
        // Data from the window's first bucket, or in the window's length before
        // it: work that was going on when the window began.
        const late = present.filter((r) => r.first > first);
        const before = await this.withDataBefore(scope, w, late, first, first - w.count * w.size);
        const started = late.filter((r) => !before.has(r.id));
        const seen = started.length > 0 ? await (since ??= this.firstSeen(scope, keys)) : undefined;
        const fine =
          w.table === '10m' ? await this.fineFirst(scope, started, now) : new Map<number, number>();
        const starts = new Map(started.map((r) => [r.id, r.first]));
        for (const r of present) {
          const dataFirst = starts.get(r.id);
          const seconds =
            dataFirst === undefined
              ? Math.max(1, now - first) / 1000
              : coveredSeconds(first, now, dataFirst, w.size, fine.get(r.id) ?? null, seen?.get(r.id));
          rates.push([r.id, rate(r.d, seconds)]);
        }
        return { name, rates };
      }),
    );
    const out = new Map<number, HashrateWindows>();
    for (const { name, rates } of perWindow) {
      for (const [id, value] of rates) {
        let v = out.get(id);
        if (!v) out.set(id, (v = emptyWindows()));
        v[name] = value;
      }
    }
    return out;
  }

  /** When each id's first worker was first seen. */
  private async firstSeen(scope: Scope, keys?: KeyFilter): Promise<Map<number, number>> {
    const where =
      keys && scope !== 'pool' ? `WHERE ${scope === 'account' ? 'account_id' : 'id'} IN (${keys.sql})` : '';
    const args = keys && scope !== 'pool' ? keys.args : [];
    const sql =
      scope === 'pool'
        ? 'SELECT 0 AS id, MIN(first_seen) AS since FROM workers'
        : scope === 'account'
          ? `SELECT account_id AS id, MIN(first_seen) AS since FROM workers ${where} GROUP BY account_id`
          : `SELECT id, first_seen AS since FROM workers ${where}`;
    const rows = await this.engine.all<{ id: number; since: number | null }>(sql, args);
    return new Map(rows.filter((r) => r.since !== null).map((r) => [r.id, r.since as number]));
  }

  /** The ids among `rows` with data in the buckets [from, until). */
  private async withDataBefore(
    scope: Scope,
    w: WindowSpec,
    rows: readonly { id: number }[],
    until: number,
    from: number,
  ): Promise<Set<number>> {
    if (rows.length === 0) return new Set();
    const key = KEY[scope];
    const found =
      scope === 'pool'
        ? await this.engine.all<{ id: number }>(
            `SELECT 0 AS id FROM stats_pool_${w.table} WHERE bucket >= ? AND bucket < ? LIMIT 1`,
            [from, until],
          )
        : await readByIds(
            rows.map((r) => r.id),
            (list, ids) =>
              this.engine.all<{ id: number }>(
                `SELECT DISTINCT ${key} AS id FROM stats_${scope}_${w.table}
                 WHERE bucket >= ? AND bucket < ? AND ${key} IN ${list}`,
                [from, until, ...ids],
              ),
          );
    return new Set(found.map((r) => r.id));
  }

  /** First 1-minute bucket of the ids whose 10-minute data starts recently enough for its 1-minute buckets to be kept. */
  private async fineFirst(
    scope: Scope,
    rows: readonly { id: number; first: number }[],
    now: number,
  ): Promise<Map<number, number>> {
    const recent = rows.filter((r) => r.first >= now - MINUTE_BUCKETS_KEEP_MS);
    if (recent.length === 0) return new Map();
    let from = recent[0]!.first;
    for (const r of recent) if (r.first < from) from = r.first;
    const key = KEY[scope];
    const found =
      scope === 'pool'
        ? await this.engine.all<{ id: number; first: number | null }>(
            `SELECT 0 AS id, MIN(bucket) AS first FROM stats_pool_1m WHERE bucket >= ?`,
            [from],
          )
        : await readByIds(
            recent.map((r) => r.id),
            (list, ids) =>
              this.engine.all<{ id: number; first: number | null }>(
                `SELECT ${key} AS id, MIN(bucket) AS first FROM stats_${scope}_1m
                 WHERE bucket >= ? AND ${key} IN ${list} GROUP BY ${key}`,
                [from, ...ids],
              ),
          );
    return new Map(found.filter((r) => r.first !== null).map((r) => [r.id, r.first as number]));
  }

  private async windows(scope: Scope, id: number, now: number): Promise<HashrateWindows> {
    // A typed parameter: PostgreSQL would take a bare `SELECT ?` for text.
    const keys = scope === 'pool' ? undefined : { sql: 'SELECT CAST(? AS BIGINT)', args: [id] };
    return (await this.hashrates(scope, now, keys)).get(scope === 'pool' ? 0 : id) ?? emptyWindows();
  }

  private async chart(scope: Scope, id: number, now: number): Promise<ChartPoint[]> {
    const last = bucketStart(now, TEN_MINUTES_MS);
    const first = last - (CHART_POINTS - 1) * TEN_MINUTES_MS;
    const where = scope === 'pool' ? '' : `${scope}_id = ? AND `;
    const args = scope === 'pool' ? [first, last] : [id, first, last];
    const rows = await this.engine.all<{
      bucket: number;
      accepted_difficulty: number;
      accepted: number;
      rejected: number;
    }>(
      `SELECT bucket, accepted_difficulty, accepted, rejected FROM stats_${scope}_10m
       WHERE ${where}bucket BETWEEN ? AND ?`,
      args,
    );
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

  poolHashrate(now = Date.now()): Promise<HashrateWindows> {
    return this.windows('pool', 0, now);
  }

  /** 144 points of 10 minutes, the last one holding `now`. */
  poolChart(now = Date.now()): Promise<ChartPoint[]> {
    return this.chart('pool', 0, now);
  }

  async accountHashrate(account: string, now = Date.now()): Promise<HashrateWindows | undefined> {
    const a = await this.accountRow(account);
    return a ? this.windows('account', a.id, now) : undefined;
  }

  async accountChart(account: string, now = Date.now()): Promise<ChartPoint[] | undefined> {
    const a = await this.accountRow(account);
    return a ? this.chart('account', a.id, now) : undefined;
  }

  async totals(): Promise<Totals> {
    const [w, s] = await Promise.all([
      this.engine.get<{ a: number; r: number }>(
        'SELECT COALESCE(SUM(accepted), 0) AS a, COALESCE(SUM(rejected), 0) AS r FROM workers',
      ),
      this.engine.get<{ s: number }>(
        'SELECT COALESCE(SUM(count), 0) AS s FROM reject_totals WHERE reason = ?',
        [STALE_REASON],
      ),
    ]);
    return { accepted: w!.a, rejected: w!.r, stale: s!.s };
  }

  async bestShare(): Promise<BestShare | null> {
    const r = await this.engine.get<BestShare>(
      `SELECT a.name AS account, w.name AS worker, w.best_share_difficulty AS difficulty
       FROM workers w JOIN accounts a ON a.id = w.account_id
       WHERE w.best_share_difficulty > 0 ORDER BY w.best_share_difficulty DESC, w.id LIMIT 1`,
    );
    return r ?? null;
  }

  /** Everything /api/stats shows, from a handful of indexed reads. */
  async poolStats(now = Date.now()): Promise<PoolStats> {
    const [counts, blockRows, last, hashrate, totals, best] = await Promise.all([
      this.engine.get<{ accounts: number; workers: number; online: number }>(
        `SELECT (SELECT COUNT(*) FROM accounts) AS accounts, COUNT(*) AS workers,
           COALESCE(SUM(CASE WHEN last_share_at >= ? THEN 1 ELSE 0 END), 0) AS online FROM workers`,
        [now - ONLINE_WINDOW_MS],
      ),
      this.engine.all<{ status: string; n: number }>(
        'SELECT status, COUNT(*) AS n FROM blocks GROUP BY status',
      ),
      this.engine.get<NonNullable<PoolStats['last_block']>>(
        `SELECT height, hash, time, status FROM blocks WHERE status IN ('pending', 'confirmed')
         ORDER BY time DESC, height DESC LIMIT 1`,
      ),
      this.poolHashrate(now),
      this.totals(),
      this.bestShare(),
    ]);
    const blocks = new Map(blockRows.map((r) => [r.status, r.n]));
    return {
      time: now,
      ...hashrate,
      accounts: counts!.accounts,
      workers: counts!.workers,
      workers_online: counts!.online,
      totals,
      best_share: best,
      blocks_found: (blocks.get('pending') ?? 0) + (blocks.get('confirmed') ?? 0),
      blocks_orphaned: blocks.get('orphaned') ?? 0,
      blocks_rejected: blocks.get('rejected') ?? 0,
      last_block: last ?? null,
    };
  }

  async accountStats(account: string, now = Date.now()): Promise<AccountStats | undefined> {
    const a = await this.accountRow(account);
    if (!a) return undefined;
    const [w, stale, hashrate] = await Promise.all([
      this.engine.get<{ workers: number; online: number; accepted: number; rejected: number; best: number }>(
        `SELECT COUNT(*) AS workers, COALESCE(SUM(CASE WHEN last_share_at >= ? THEN 1 ELSE 0 END), 0) AS online,
           COALESCE(SUM(accepted), 0) AS accepted, COALESCE(SUM(rejected), 0) AS rejected,
           COALESCE(MAX(best_share_difficulty), 0) AS best
         FROM workers WHERE account_id = ?`,
        [now - ONLINE_WINDOW_MS, a.id],
      ),
      this.engine.get<{ s: number }>(
        'SELECT COALESCE(SUM(count), 0) AS s FROM reject_totals WHERE account_id = ? AND reason = ?',
        [a.id, STALE_REASON],
      ),
      this.windows('account', a.id, now),
    ]);
    return {
      account: a.name,
      payout_address: a.payout_address,
      ...hashrate,
      workers: w!.workers,
      workers_online: w!.online,
      totals: { accepted: w!.accepted, rejected: w!.rejected, stale: stale!.s },
      best_share_difficulty: w!.best,
    };
  }

  /** The account's workers with hashrate windows, counts and 24 h rejects by reason, by name. */
  async accountWorkers(account: string, now = Date.now()): Promise<WorkerStats[] | undefined> {
    const a = await this.accountRow(account);
    if (!a) return undefined;
    const since = bucketStart(now, TEN_MINUTES_MS) - (CHART_POINTS - 1) * TEN_MINUTES_MS;
    const [rows, rates, rejects] = await Promise.all([
      this.engine.all<Omit<WorkerStats, keyof HashrateWindows | 'online' | 'rejects_24h'> & { id: number }>(
        `SELECT id, name, user_agent, first_seen, last_share_at, best_share_difficulty, current_difficulty,
           accepted, rejected FROM workers WHERE account_id = ?`,
        [a.id],
      ),
      this.hashrates('worker', now, { sql: 'SELECT id FROM workers WHERE account_id = ?', args: [a.id] }),
      this.engine.all<{ id: number; reason: string; n: number }>(
        `SELECT r.worker_id AS id, r.reason, SUM(r.count) AS n FROM workers w
         JOIN rejects r ON r.worker_id = w.id AND r.bucket >= ?
         WHERE w.account_id = ? GROUP BY r.worker_id, r.reason`,
        [since, a.id],
      ),
    ]);
    // Sorted here rather than in SQL, so both engines give one order whatever a server's collation.
    rows.sort((x, y) => byteOrder(x.name, y.name));
    rejects.sort((x, y) => byteOrder(x.reason, y.reason));
    const byWorker = new Map<number, Record<string, number>>();
    for (const r of rejects) {
      const m = byWorker.get(r.id) ?? {};
      m[r.reason] = r.n;
      byWorker.set(r.id, m);
    }
    return rows.map(({ id, ...w }) => ({
      ...w,
      online: w.last_share_at !== null && w.last_share_at >= now - ONLINE_WINDOW_MS,
      ...(rates.get(id) ?? emptyWindows()),
      rejects_24h: byWorker.get(id) ?? {},
    }));
  }
}
