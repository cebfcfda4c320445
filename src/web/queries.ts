// Reads the page needs that the store's StoreStats does not offer: per-account
// rankings, device families of online workers, rejects by reason, an
// account's blocks and payouts, the sample behind a chart. All of them read
// the small tables and pre-aggregated buckets, never the shares table.
import type { Statement } from 'better-sqlite3';
import { bucketStart, TEN_MINUTES_MS } from '../store/buckets.js';
import { ONLINE_WINDOW_MS, StoreStats, type SqliteDatabase } from '../store/index.js';
import { deviceFamily } from './devices.js';

/** Families shown before the rest are folded into "other". */
const MAX_FAMILIES = 12;
/** Device families read every worker's recent buckets: reuse the answer this long. */
const FAMILIES_TTL_MS = 10_000;

export interface MinerSummary {
  account: string;
  workers_online: number;
  hashrate_10m: number;
  hashrate_1h: number;
  hashrate_24h: number;
}

export interface DeviceFamily {
  family: string;
  workers: number;
  /** Hashes per second over the last 10 minutes. */
  hashrate: number;
}

export interface AccountRecord {
  id: number;
  name: string;
  password_hash: string | null;
  payout_address: string | null;
  created_at: number;
}

export interface AccountPayout {
  block_hash: string;
  height: number;
  status: string;
  amount_sats: bigint;
  time: number;
}

/** Ten-minute buckets of the last 24 h: the first and the one holding `now`. */
function day(now: number): { first: number; last: number } {
  const last = bucketStart(now, TEN_MINUTES_MS);
  return { first: last - 143 * TEN_MINUTES_MS, last };
}

export class WebQueries {
  readonly #cache = new Map<string, Statement>();
  #families: { at: number; value: DeviceFamily[] } | null = null;
  /** Hashrates computed exactly as the store's pool, account and worker figures. */
  readonly #stats: StoreStats;

  constructor(private readonly db: SqliteDatabase) {
    this.#stats = new StoreStats(db);
  }

  #q(sql: string): Statement {
    let st = this.#cache.get(sql);
    if (!st) this.#cache.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  accountById(id: number): AccountRecord | undefined {
    return this.#q(
      'SELECT id, name, password_hash, payout_address, created_at FROM accounts WHERE id = ?',
    ).get(id) as AccountRecord | undefined;
  }

  accountByName(name: string): AccountRecord | undefined {
    return this.#q(
      'SELECT id, name, password_hash, payout_address, created_at FROM accounts WHERE name = ?',
    ).get(name) as AccountRecord | undefined;
  }

  /** Creates an account with its password hash in one statement; false when the name is taken. */
  createAccount(
    name: string,
    password_hash: string,
    payout_address: string | null,
    now = Date.now(),
  ): boolean {
    const info = this.#q(
      `INSERT INTO accounts (name, password_hash, payout_address, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO NOTHING`,
    ).run(name, password_hash, payout_address, now);
    return info.changes === 1;
  }

  /** Accounts with work in the last 24 h, by 24 h hashrate. */
  miners(now = Date.now(), limit = 100): MinerSummary[] {
    const rates = this.#stats.hashrates('account', now);
    const names = this.#q(
      'SELECT a.id, a.name FROM accounts a WHERE a.id IN (SELECT value FROM json_each(?))',
    ).all(JSON.stringify([...rates.keys()])) as { id: number; name: string }[];
    const online = new Map(
      (
        this.#q(
          'SELECT account_id AS id, COUNT(*) AS n FROM workers WHERE last_share_at >= ? GROUP BY account_id',
        ).all(now - ONLINE_WINDOW_MS) as { id: number; n: number }[]
      ).map((o) => [o.id, o.n]),
    );
    return names
      .map((a) => ({ account: a.name, workers_online: online.get(a.id) ?? 0, ...rates.get(a.id)! }))
      .sort((a, b) => b.hashrate_24h - a.hashrate_24h || (a.account < b.account ? -1 : 1))
      .slice(0, limit);
  }

  /** Online workers grouped by the device family of their user agent, with 10-minute hashrate (cached briefly). */
  deviceFamilies(now = Date.now()): DeviceFamily[] {
    const cached = this.#families;
    if (cached && now >= cached.at && now - cached.at < FAMILIES_TTL_MS) return cached.value;
    const value = this.#deviceFamilies(now);
    this.#families = { at: now, value };
    return value;
  }

  #deviceFamilies(now: number): DeviceFamily[] {
    const online = { sql: 'SELECT id FROM workers WHERE last_share_at >= ?', args: [now - ONLINE_WINDOW_MS] };
    const rates = this.#stats.hashrates('worker', now, online, ['hashrate_10m']);
    const rows = this.#q('SELECT id, user_agent AS ua FROM workers WHERE last_share_at >= ?').all(
      now - ONLINE_WINDOW_MS,
    ) as { id: number; ua: string | null }[];
    const families = new Map<string, DeviceFamily>();
    for (const r of rows) {
      const name = deviceFamily(r.ua);
      let f = families.get(name);
      if (!f) families.set(name, (f = { family: name, workers: 0, hashrate: 0 }));
      f.workers++;
      f.hashrate += rates.get(r.id)?.hashrate_10m ?? 0;
    }
    const sorted = [...families.values()].sort((a, b) => b.hashrate - a.hashrate || b.workers - a.workers);
    if (sorted.length <= MAX_FAMILIES) return sorted;
    const rest = sorted.slice(MAX_FAMILIES - 1);
    const other = rest.reduce(
      (acc, f) => ({
        family: 'other',
        workers: acc.workers + f.workers,
        hashrate: acc.hashrate + f.hashrate,
      }),
      { family: 'other', workers: 0, hashrate: 0 },
    );
    return [...sorted.slice(0, MAX_FAMILIES - 1), other];
  }

  /** All-time rejected shares by reason (pool-wide, or for one account). */
  rejectsByReason(account_id?: number): Record<string, number> {
    const rows = (
      account_id === undefined
        ? this.#q('SELECT reason, SUM(count) AS n FROM reject_totals GROUP BY reason ORDER BY reason').all()
        : this.#q(
            'SELECT reason, SUM(count) AS n FROM reject_totals WHERE account_id = ? GROUP BY reason ORDER BY reason',
          ).all(account_id)
    ) as { reason: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
  }

  /** Accepted shares in the last 24 h (the sample a 24 h chart rests on). */
  sharesLast24h(account_id: number | null, now = Date.now()): number {
    const s = day(now);
    const row = (
      account_id === null
        ? this.#q(
            'SELECT COALESCE(SUM(accepted), 0) AS n FROM stats_pool_10m WHERE bucket BETWEEN ? AND ?',
          ).get(s.first, s.last)
        : this.#q(
            'SELECT COALESCE(SUM(accepted), 0) AS n FROM stats_account_10m WHERE account_id = ? AND bucket BETWEEN ? AND ?',
          ).get(account_id, s.first, s.last)
    ) as { n: number };
    return row.n;
  }

  /** Recorded blocks per status, every status present. */
  blockCounts(): Record<string, number> {
    const out: Record<string, number> = { pending: 0, confirmed: 0, orphaned: 0, rejected: 0 };
    const rows = this.#q('SELECT status, COUNT(*) AS n FROM blocks GROUP BY status').all() as {
      status: string;
      n: number;
    }[];
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  /** Blocks found by one account, newest first. */
  accountBlocks(
    account_id: number,
    limit = 50,
  ): {
    height: number;
    hash: string;
    worker: string | null;
    reward_sats: bigint;
    status: string;
    time: number;
  }[] {
    const rows = this.#q(
      `SELECT b.height, b.hash, w.name AS worker, b.reward_sats, b.status, b.time FROM blocks b
       LEFT JOIN workers w ON w.id = b.worker_id WHERE b.account_id = ? ORDER BY b.time DESC, b.height DESC LIMIT ?`,
    ).all(account_id, limit) as {
      height: number;
      hash: string;
      worker: string | null;
      reward_sats: number;
      status: string;
      time: number;
    }[];
    return rows.map((r) => ({ ...r, reward_sats: BigInt(r.reward_sats) }));
  }

  /** What the account's recorded payouts paid, newest first. */
  accountPayouts(account_id: number, limit = 50): AccountPayout[] {
    const rows = this.#q(
      `SELECT p.block_hash, b.height, b.status, p.amount, b.time FROM payouts p JOIN blocks b ON b.hash = p.block_hash
       WHERE p.account_id = ? ORDER BY b.time DESC LIMIT ?`,
    ).all(account_id, limit) as {
      block_hash: string;
      height: number;
      status: string;
      amount: number;
      time: number;
    }[];
    return rows.map((r) => ({
      block_hash: r.block_hash,
      height: r.height,
      status: r.status,
      amount_sats: BigInt(r.amount),
      time: r.time,
    }));
  }

  credit(account_id: number): bigint {
    const row = this.#q('SELECT credit FROM pplns_credits WHERE account_id = ?').get(account_id) as
      { credit: number } | undefined;
    return BigInt(row?.credit ?? 0);
  }
}
