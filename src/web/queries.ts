// Reads the page needs that the store's StoreStats does not offer: per-account
// rankings, device families of online workers, rejects by reason, an
// account's blocks and payouts, the sample behind a chart. All of them read
// the small tables and pre-aggregated buckets, never the shares table.
import { bucketStart, TEN_MINUTES_MS } from '../store/buckets.js';
import { byteOrder, ONLINE_WINDOW_MS, StoreStats } from '../store/index.js';
import { readByIds } from '../store/in-list.js';
import type { SqlEngine } from '../store/sql.js';
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

export interface AccountBlock {
  height: number;
  hash: string;
  worker: string | null;
  reward_sats: bigint;
  status: string;
  time: number;
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
  #families: { at: number; value: Promise<DeviceFamily[]> } | null = null;
  /** Hashrates computed exactly as the store's pool, account and worker figures. */
  readonly #stats: StoreStats;

  constructor(private readonly engine: SqlEngine) {
    this.#stats = new StoreStats(engine);
  }

  accountById(id: number): Promise<AccountRecord | undefined> {
    return this.engine.get<AccountRecord>(
      'SELECT id, name, password_hash, payout_address, created_at FROM accounts WHERE id = ?',
      [id],
    );
  }

  accountByName(name: string): Promise<AccountRecord | undefined> {
    return this.engine.get<AccountRecord>(
      'SELECT id, name, password_hash, payout_address, created_at FROM accounts WHERE name = ?',
      [name],
    );
  }

  /** Creates an account with its password hash in one statement; false when the name is taken. */
  async createAccount(
    name: string,
    password_hash: string,
    payout_address: string | null,
    now = Date.now(),
  ): Promise<boolean> {
    const changes = await this.engine.run(
      `INSERT INTO accounts (name, password_hash, payout_address, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO NOTHING`,
      [name, password_hash, payout_address, now],
    );
    return changes === 1;
  }

  /** Accounts with work in the last 24 h, by 24 h hashrate. */
  async miners(now = Date.now(), limit = 100): Promise<MinerSummary[]> {
    const [rates, onlineRows] = await Promise.all([
      this.#stats.hashrates('account', now),
      this.engine.all<{ id: number; n: number }>(
        'SELECT account_id AS id, COUNT(*) AS n FROM workers WHERE last_share_at >= ? GROUP BY account_id',
        [now - ONLINE_WINDOW_MS],
      ),
    ]);
    const names = await readByIds([...rates.keys()], (list, ids) =>
      this.engine.all<{ id: number; name: string }>(
        `SELECT a.id, a.name FROM accounts a WHERE a.id IN ${list}`,
        ids,
      ),
    );
    const online = new Map(onlineRows.map((o) => [o.id, o.n]));
    return names
      .map((a) => ({ account: a.name, workers_online: online.get(a.id) ?? 0, ...rates.get(a.id)! }))
      .sort((a, b) => b.hashrate_24h - a.hashrate_24h || (a.account < b.account ? -1 : 1))
      .slice(0, limit);
  }

  /** Online workers grouped by the device family of their user agent, with 10-minute hashrate (cached briefly). */
  deviceFamilies(now = Date.now()): Promise<DeviceFamily[]> {
    const cached = this.#families;
    if (cached && now >= cached.at && now - cached.at < FAMILIES_TTL_MS) return cached.value;
    // Concurrent callers share one reading; a failed one is not kept.
    const value = this.#deviceFamilies(now);
    const entry = { at: now, value };
    this.#families = entry;
    value.catch(() => {
      if (this.#families === entry) this.#families = null;
    });
    return value;
  }

  async #deviceFamilies(now: number): Promise<DeviceFamily[]> {
    const online = { sql: 'SELECT id FROM workers WHERE last_share_at >= ?', args: [now - ONLINE_WINDOW_MS] };
    const [rates, rows] = await Promise.all([
      this.#stats.hashrates('worker', now, online, ['hashrate_10m']),
      this.engine.all<{ id: number; ua: string | null }>(
        'SELECT id, user_agent AS ua FROM workers WHERE last_share_at >= ?',
        [now - ONLINE_WINDOW_MS],
      ),
    ]);
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
  async rejectsByReason(account_id?: number): Promise<Record<string, number>> {
    const rows =
      account_id === undefined
        ? await this.engine.all<{ reason: string; n: number }>(
            'SELECT reason, SUM(count) AS n FROM reject_totals GROUP BY reason',
          )
        : await this.engine.all<{ reason: string; n: number }>(
            'SELECT reason, SUM(count) AS n FROM reject_totals WHERE account_id = ? GROUP BY reason',
            [account_id],
          );
    // By reason in byte order on both engines (a server's collation may order text otherwise).
    rows.sort((a, b) => byteOrder(a.reason, b.reason));
    return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
  }

  /** Accepted shares in the last 24 h (the sample a 24 h chart rests on). */
  async sharesLast24h(account_id: number | null, now = Date.now()): Promise<number> {
    const s = day(now);
    const row =
      account_id === null
        ? await this.engine.get<{ n: number }>(
            'SELECT COALESCE(SUM(accepted), 0) AS n FROM stats_pool_10m WHERE bucket BETWEEN ? AND ?',
            [s.first, s.last],
          )
        : await this.engine.get<{ n: number }>(
            'SELECT COALESCE(SUM(accepted), 0) AS n FROM stats_account_10m WHERE account_id = ? AND bucket BETWEEN ? AND ?',
            [account_id, s.first, s.last],
          );
    return row!.n;
  }

  /** Recorded blocks per status, every status present. */
  async blockCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = { pending: 0, confirmed: 0, orphaned: 0, rejected: 0 };
    const rows = await this.engine.all<{ status: string; n: number }>(
      'SELECT status, COUNT(*) AS n FROM blocks GROUP BY status',
    );
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  /** Blocks found by one account, newest first. */
  async accountBlocks(account_id: number, limit = 50): Promise<AccountBlock[]> {
    const rows = await this.engine.all<Omit<AccountBlock, 'reward_sats'> & { reward_sats: number }>(
      `SELECT b.height, b.hash, w.name AS worker, b.reward_sats, b.status, b.time FROM blocks b
       LEFT JOIN workers w ON w.id = b.worker_id WHERE b.account_id = ? ORDER BY b.time DESC, b.height DESC LIMIT ?`,
      [account_id, limit],
    );
    return rows.map((r) => ({ ...r, reward_sats: BigInt(r.reward_sats) }));
  }

  /** What the account's recorded payouts paid, newest first. */
  async accountPayouts(account_id: number, limit = 50): Promise<AccountPayout[]> {
    const rows = await this.engine.all<{
      block_hash: string;
      height: number;
      status: string;
      amount: number;
      time: number;
    }>(
      `SELECT p.block_hash, b.height, b.status, p.amount, b.time FROM payouts p JOIN blocks b ON b.hash = p.block_hash
       WHERE p.account_id = ? ORDER BY b.time DESC LIMIT ?`,
      [account_id, limit],
    );
    return rows.map((r) => ({
      block_hash: r.block_hash,
      height: r.height,
      status: r.status,
      amount_sats: BigInt(r.amount),
      time: r.time,
    }));
  }

  async credit(account_id: number): Promise<bigint> {
    const row = await this.engine.get<{ credit: number }>(
      'SELECT credit FROM pplns_credits WHERE account_id = ?',
      [account_id],
    );
    return BigInt(row?.credit ?? 0);
  }
}
