// The pool-wide figures read from the store, computed at most once per
// `[web] stats_cache` and shared by /api/stats, /api/miners, the home page and
// /metrics, so a burst of requests costs one round of queries. Only public,
// pool-wide aggregates live here: nothing of a session, an account page or a
// request (host, cookies) is ever put in it.
import type { Block, ChartPoint, PoolStats, Store } from '../store/index.js';
import type { DeviceFamily, MinerSummary, WebQueries } from './queries.js';

export const RECENT_BLOCKS = 20;

export interface PoolAggregates {
  /** When these figures were read. */
  time: number;
  stats: PoolStats;
  rejected_by_reason: Record<string, number>;
  /** The newest blocks the chain kept. */
  blocks: Block[];
  block_counts: Record<string, number>;
  devices: DeviceFamily[];
  chart: ChartPoint[];
  chart_shares_24h: number;
}

/** One reading of the pool-wide figures at `now` (its reads run side by side). */
export async function readPoolAggregates(
  store: Store,
  queries: WebQueries,
  now: number,
): Promise<PoolAggregates> {
  const [stats, rejected_by_reason, blocks, block_counts, devices, chart, chart_shares_24h] =
    await Promise.all([
      store.stats.poolStats(now),
      queries.rejectsByReason(),
      store.ledger.blocks(RECENT_BLOCKS, 0, { kept: true }),
      queries.blockCounts(),
      queries.deviceFamilies(now),
      store.stats.poolChart(now),
      queries.sharesLast24h(null, now),
    ]);
  return { time: now, stats, rejected_by_reason, blocks, block_counts, devices, chart, chart_shares_24h };
}

/**
 * A value recomputed when older than `ttlMs` (0 = every call). Calls that
 * arrive while a computation is under way share it, so a burst of requests
 * costs one reading; a failed reading is not kept.
 */
export class Expiring<T> {
  #value: { at: number; value: Promise<T>; pending: boolean } | null = null;

  constructor(
    private readonly ttlMs: number,
    private readonly compute: (now: number) => Promise<T>,
  ) {}

  get(now: number): Promise<T> {
    const v = this.#value;
    // A clock that stepped back also recomputes. A reading still under way
    // serves whatever its age: it is the newest one there is.
    if (v && (v.pending || (now >= v.at && now - v.at < this.ttlMs))) return v.value;
    const entry = { at: now, value: this.compute(now), pending: true };
    this.#value = entry;
    entry.value.then(
      () => {
        entry.pending = false;
        if (this.ttlMs === 0 && this.#value === entry) this.#value = null;
      },
      () => {
        if (this.#value === entry) this.#value = null;
      },
    );
    return entry.value;
  }
}

export class PublicSnapshot {
  readonly #pool: Expiring<PoolAggregates>;
  readonly #miners: Expiring<MinerSummary[]>;

  /** `ttlSeconds`: how long one reading serves (0 = read the store for every request not sharing one under way). */
  constructor(store: Store, queries: WebQueries, ttlSeconds: number) {
    const ttlMs = Math.max(0, Math.round(ttlSeconds * 1000));
    this.#pool = new Expiring(ttlMs, (now) => readPoolAggregates(store, queries, now));
    this.#miners = new Expiring(ttlMs, (now) => queries.miners(now));
  }

  /** Pool-wide figures from the store (shared between requests; do not mutate). */
  pool(now = Date.now()): Promise<PoolAggregates> {
    return this.#pool.get(now);
  }

  /** Accounts with work in the last 24 h, by 24 h hashrate (shared; do not mutate). */
  miners(now = Date.now()): Promise<MinerSummary[]> {
    return this.#miners.get(now);
  }
}
