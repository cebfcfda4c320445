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

/** One reading of the pool-wide figures at `now`. */
export function readPoolAggregates(store: Store, queries: WebQueries, now: number): PoolAggregates {
  return {
    time: now,
    stats: store.stats.poolStats(now),
    rejected_by_reason: queries.rejectsByReason(),
    blocks: store.ledger.blocks(RECENT_BLOCKS, 0, { kept: true }),
    block_counts: queries.blockCounts(),
    devices: queries.deviceFamilies(now),
    chart: store.stats.poolChart(now),
    chart_shares_24h: queries.sharesLast24h(null, now),
  };
}

/** A value recomputed when older than `ttlMs` (0 = every call). */
class Expiring<T> {
  #value: { at: number; value: T } | null = null;

  constructor(
    private readonly ttlMs: number,
    private readonly compute: (now: number) => T,
  ) {}

  get(now: number): T {
    const v = this.#value;
    // A clock that stepped back also recomputes.
    if (v && now >= v.at && now - v.at < this.ttlMs) return v.value;
    const value = this.compute(now);
    this.#value = this.ttlMs > 0 ? { at: now, value } : null;
    return value;
  }
}

export class PublicSnapshot {
  readonly #pool: Expiring<PoolAggregates>;
  readonly #miners: Expiring<MinerSummary[]>;

  /** `ttlSeconds`: how long one reading serves (0 = read the store on every request). */
  constructor(store: Store, queries: WebQueries, ttlSeconds: number) {
    const ttlMs = Math.max(0, Math.round(ttlSeconds * 1000));
    this.#pool = new Expiring(ttlMs, (now) => readPoolAggregates(store, queries, now));
    this.#miners = new Expiring(ttlMs, (now) => queries.miners(now));
  }

  /** Pool-wide figures from the store (shared between requests; do not mutate). */
  pool(now = Date.now()): PoolAggregates {
    return this.#pool.get(now);
  }

  /** Accounts with work in the last 24 h, by 24 h hashrate (shared; do not mutate). */
  miners(now = Date.now()): MinerSummary[] {
    return this.#miners.get(now);
  }
}
