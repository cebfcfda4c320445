// The pool's SQLite store: accounts and workers, the batched share writer
// (every share acknowledged to a miner is committed first), reject counts,
// stats buckets, the PPLNS window, blocks, payouts and carried credits.
import type { Statement } from 'better-sqlite3';
import { openDatabase, type OpenDatabaseOptions, type SqliteDatabase } from './db.js';
import {
  BatchAggregate,
  type BucketSum,
  MINUTE_BUCKETS_KEEP_MS,
  RESOLUTIONS,
  SCOPES,
  TEN_MINUTES_MS,
} from './buckets.js';
import { BatchWriter, type BatchWriterOptions } from './writer.js';
import { RunningWindow, type WindowShare } from './window.js';
import { Ledger } from './ledger.js';
import { StoreStats } from './stats.js';
import type { PplnsWindowEntry } from './pplns.js';
import type { Account, RejectInput, ShareInput, WorkerIds, WorkerOptions } from './types.js';

export interface StoreOptions extends OpenDatabaseOptions, BatchWriterOptions {
  /** PPLNS window N = factor × network difficulty (default 2). */
  pplns_window_factor?: number;
  /** Days the 10-minute stats and reject buckets are kept (default 35). */
  stats_retention_days?: number;
  /** Prune old buckets after a commit at most every 10 minutes (default true). */
  auto_prune?: boolean;
}

export interface PplnsWindowResult {
  /** Per-account difficulty in the window, by account name. */
  window: PplnsWindowEntry[];
  total: number;
  target: number;
}

type BatchItem =
  | { kind: 'share'; ids: WorkerIds; share: ShareInput; time: number }
  | { kind: 'reject'; ids: WorkerIds; reason: string; time: number };

const MAX_NAME_LENGTH = 255;
const WINDOW_LOAD_CHUNK = 50_000;
const PRUNE_EVERY_MS = 10 * 60_000;

/** SQLite's NOCASE folds ASCII letters only; caches must fold the same way. */
export function foldName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function checkName(kind: string, name: string, allowEmpty: boolean): void {
  if (typeof name !== 'string' || (!allowEmpty && name.length === 0) || name.length > MAX_NAME_LENGTH) {
    throw new RangeError(
      `${kind} name must be a string of ${allowEmpty ? 0 : 1}..${MAX_NAME_LENGTH} characters`,
    );
  }
}

function checkNumber(x: number, k: string): void {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`share ${k} must be a finite number ≥ 0`);
}

function checkU32(x: number, k: string): void {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new RangeError(`share ${k} must be a u32`);
}

function checkShare(s: ShareInput): void {
  checkNumber(s.difficulty, 'difficulty');
  checkNumber(s.share_difficulty, 'share_difficulty');
  checkU32(s.channel_id, 'channel_id');
  checkU32(s.job_id, 'job_id');
  if (s.time !== undefined && !Number.isSafeInteger(s.time))
    throw new RangeError('share time must be integer ms');
}

export class Store {
  readonly db: SqliteDatabase;
  readonly stats: StoreStats;
  readonly ledger: Ledger;
  readonly pplns_window_factor: number;
  private readonly writer: BatchWriter<BatchItem, number | null>;
  private readonly window: RunningWindow;
  private readonly accounts = new Map<string, { id: number; name: string }>();
  private readonly accountNames = new Map<number, string>();
  private readonly workers = new Map<string, WorkerIds>();
  private readonly retentionMs: number;
  private readonly autoPrune: boolean;
  private lastPrune = Date.now();
  private readonly st: ReturnType<typeof prepareStatements>;
  private readonly upserts = new Map<string, Statement>();
  private readonly commitTx: (items: readonly BatchItem[]) => {
    results: (number | null)[];
    shares: WindowShare[];
  };

  static open(path: string, options: StoreOptions = {}): Store {
    return new Store(openDatabase(path, options), options);
  }

  constructor(db: SqliteDatabase, options: StoreOptions = {}) {
    this.db = db;
    this.pplns_window_factor = options.pplns_window_factor ?? 2;
    if (!(this.pplns_window_factor > 0)) throw new RangeError('pplns_window_factor must be > 0');
    this.retentionMs = (options.stats_retention_days ?? 35) * 86_400_000;
    this.autoPrune = options.auto_prune ?? true;
    this.st = prepareStatements(db);
    for (const s of SCOPES) {
      for (const r of RESOLUTIONS) {
        const key = s === 'pool' ? '' : `${s}_id, `;
        const keyVal = s === 'pool' ? '' : '@id, ';
        this.upserts.set(
          `${s}_${r}`,
          db.prepare(
            `INSERT INTO stats_${s}_${r} (${key}bucket, accepted_difficulty, accepted, rejected)
             VALUES (${keyVal}@bucket, @accepted_difficulty, @accepted, @rejected)
             ON CONFLICT DO UPDATE SET accepted_difficulty = accepted_difficulty + excluded.accepted_difficulty,
               accepted = accepted + excluded.accepted, rejected = rejected + excluded.rejected`,
          ),
        );
      }
    }
    this.commitTx = db.transaction((items: readonly BatchItem[]) => this.writeBatch(items));
    this.writer = new BatchWriter((items) => this.commitBatch(items), options);
    this.ledger = new Ledger(db, (name) => this.accountId(name));
    this.stats = new StoreStats(db);

    // Rebuild the PPLNS window for the last target used.
    const saved = this.st.getMeta.get('pplns_target') as { value: string } | undefined;
    this.window = new RunningWindow(saved ? Number(saved.value) : 0);
    this.window.complete = false;
    this.fillWindow();
  }

  // ---- accounts and workers -------------------------------------------------

  /** Returns the account's id, creating the account if needed. */
  ensureAccount(name: string, options: { payout_address?: string } = {}): { id: number; name: string } {
    checkName('account', name, false);
    const folded = foldName(name);
    let a = this.accounts.get(folded);
    if (!a) {
      const row = this.st.accountByName.get(name) as { id: number; name: string } | undefined;
      if (row) a = { id: row.id, name: row.name };
      else {
        const info = this.st.insertAccount.run(name, options.payout_address ?? null, Date.now());
        a = { id: Number(info.lastInsertRowid), name };
      }
      this.accounts.set(folded, a);
      this.accountNames.set(a.id, a.name);
    }
    if (options.payout_address !== undefined) this.st.setPayoutIfNull.run(options.payout_address, a.id);
    return a;
  }

  /**
   * Returns the ids of `account.worker`, creating rows as needed. Workers are
   * keyed by (account, worker name), not by connection, so a reconnecting
   * miner keeps its history. A solo identity (options.solo) is an address the
   * pool has validated; it becomes the account's payout address.
   */
  ensureWorker(account: string, worker: string, options: WorkerOptions = {}): WorkerIds {
    checkName('worker', worker, true);
    const a = this.ensureAccount(account, options.solo ? { payout_address: account } : {});
    const key = `${a.id}\0${worker}`;
    let w = this.workers.get(key);
    if (!w) {
      const row = this.st.workerByName.get(a.id, worker) as
        { id: number; user_agent: string | null } | undefined;
      let worker_id: number;
      if (row) {
        worker_id = row.id;
        if (options.user_agent !== undefined && row.user_agent !== options.user_agent) {
          this.st.setUserAgent.run(options.user_agent, worker_id);
        }
      } else {
        const info = this.st.insertWorker.run(a.id, worker, options.user_agent ?? null, Date.now());
        worker_id = Number(info.lastInsertRowid);
      }
      w = { account_id: a.id, worker_id, account: a.name };
      this.workers.set(key, w);
    } else if (options.user_agent !== undefined) {
      this.st.setUserAgent.run(options.user_agent, w.worker_id);
    }
    return w;
  }

  getAccount(name: string): Account | undefined {
    return this.db
      .prepare('SELECT id, name, password_hash, payout_address, created_at FROM accounts WHERE name = ?')
      .get(name) as Account | undefined;
  }

  setPasswordHash(account: string, password_hash: string | null): void {
    const { id } = this.ensureAccount(account);
    this.db.prepare('UPDATE accounts SET password_hash = ? WHERE id = ?').run(password_hash, id);
  }

  setPayoutAddress(account: string, payout_address: string | null): void {
    const { id } = this.ensureAccount(account);
    this.db.prepare('UPDATE accounts SET payout_address = ? WHERE id = ?').run(payout_address, id);
  }

  /** Payout addresses of the named accounts that have one. */
  payoutAddresses(accounts: readonly string[]): Map<string, string> {
    const out = new Map<string, string>();
    const q = this.db.prepare('SELECT name, payout_address FROM accounts WHERE name = ?');
    for (const name of accounts) {
      const row = q.get(name) as { name: string; payout_address: string | null } | undefined;
      if (row?.payout_address) out.set(name, row.payout_address);
    }
    return out;
  }

  private accountId(name: string): number | undefined {
    const cached = this.accounts.get(foldName(name));
    if (cached) return cached.id;
    const row = this.st.accountByName.get(name) as { id: number } | undefined;
    return row?.id;
  }

  private accountName(id: number): string {
    let name = this.accountNames.get(id);
    if (name === undefined) {
      const row = this.st.accountById.get(id) as { name: string } | undefined;
      name = row?.name ?? `#${id}`;
      this.accountNames.set(id, name);
    }
    return name;
  }

  // ---- shares -----------------------------------------------------------------

  /**
   * Queues an accepted share; the promise resolves with its row id once its
   * batch is committed, and rejects if the batch's transaction fails. Only
   * acknowledge the share to the miner after it resolves.
   */
  enqueue(share: ShareInput): Promise<number> {
    let item: BatchItem;
    try {
      checkShare(share);
      const ids = this.ensureWorker(share.account, share.worker);
      item = { kind: 'share', ids, share, time: share.time ?? Date.now() };
    } catch (err) {
      return Promise.reject(err);
    }
    return this.writer.enqueue(item) as Promise<number>;
  }

  /** Counts a rejected share (in the same batches as accepted shares). */
  reject(r: RejectInput): Promise<void> {
    let item: BatchItem;
    try {
      checkName('reason', r.reason, false);
      const ids = this.ensureWorker(r.account, r.worker);
      item = { kind: 'reject', ids, reason: r.reason, time: r.time ?? Date.now() };
    } catch (err) {
      return Promise.reject(err);
    }
    return this.writer.enqueue(item).then(() => undefined);
  }

  /** Commits every queued share now; returns how many items were committed. */
  flush(): number {
    return this.writer.flush();
  }

  get pending(): number {
    return this.writer.pending;
  }

  private commitBatch(items: readonly BatchItem[]): (number | null)[] {
    const { results, shares } = this.commitTx(items);
    for (const s of shares) this.window.push(s);
    if (this.autoPrune && Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
      try {
        this.prune();
      } catch {
        // Pruning is housekeeping; a failure here must not fail the committed batch.
      }
    }
    return results;
  }

  private writeBatch(items: readonly BatchItem[]): { results: (number | null)[]; shares: WindowShare[] } {
    const agg = new BatchAggregate();
    const results: (number | null)[] = [];
    const shares: WindowShare[] = [];
    for (const item of items) {
      const { account_id, worker_id } = item.ids;
      if (item.kind === 'share') {
        const s = item.share;
        const info = this.st.insertShare.run(
          account_id,
          worker_id,
          s.difficulty,
          s.share_difficulty,
          s.channel_id,
          s.job_id,
          item.time,
          s.is_block ? 1 : 0,
        );
        const id = Number(info.lastInsertRowid);
        results.push(id);
        shares.push({ id, account_id, difficulty: s.difficulty });
        agg.accepted(account_id, worker_id, item.time, s.difficulty, s.share_difficulty, s.below_target);
      } else {
        results.push(null);
        agg.rejected(account_id, worker_id, item.time, item.reason);
      }
    }
    for (const { table, scope, sum } of agg.bucketSums()) {
      (this.upserts.get(table) as Statement).run(bucketParams(sum, scope !== 'pool'));
    }
    for (const w of agg.workers.values()) this.st.updateWorker.run(w);
    for (const r of agg.rejects.values()) this.st.upsertReject.run(r);
    for (const t of agg.rejectTotals.values()) this.st.upsertRejectTotal.run(t);
    return { results, shares };
  }

  // ---- PPLNS window -------------------------------------------------------------

  /**
   * Per-account difficulty in the last N = pplns_window_factor × network
   * difficulty of accepted work (committed shares only), from the in-memory
   * window; older shares are read from the database only when N grows.
   */
  pplnsWindow(networkDifficulty: number): PplnsWindowResult {
    if (!Number.isFinite(networkDifficulty) || networkDifficulty < 0) {
      throw new RangeError(`network difficulty must be a finite number ≥ 0, got ${networkDifficulty}`);
    }
    const target = this.pplns_window_factor * networkDifficulty;
    if (target !== this.window.target) {
      this.window.setTarget(target);
      this.st.setMeta.run('pplns_target', String(target));
      this.fillWindow();
    }
    const snap = this.window.snapshot();
    const window = [...snap.accounts]
      .map(([id, difficulty]) => ({ account: this.accountName(id), difficulty }))
      .sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
    return { window, total: snap.total, target: snap.target };
  }

  private fillWindow(): void {
    if (!this.window.wantsOlder) return;
    // Read back older shares in chunks until they cover what is missing (or the
    // first share is reached), then hand them to the window at once.
    const missing = this.window.target - this.window.total;
    let before = this.window.oldestId ?? Number.MAX_SAFE_INTEGER;
    let loaded: [number, number, number][] = [];
    let sum = 0;
    let reachedStart = false;
    while (sum < missing) {
      const rows = this.st.olderShares.all(before, WINDOW_LOAD_CHUNK) as [number, number, number][];
      for (const r of rows) sum += r[2];
      loaded = loaded.length === 0 ? rows : loaded.concat(rows);
      if (rows.length < WINDOW_LOAD_CHUNK) {
        reachedStart = true;
        break;
      }
      before = (rows[rows.length - 1] as [number, number, number])[0];
    }
    this.window.prependOlder(loaded, reachedStart);
  }

  // ---- housekeeping -------------------------------------------------------------

  /** Deletes stats buckets nobody reads any more (the shares table is kept whole). */
  prune(now = Date.now()): void {
    this.lastPrune = now;
    this.db.transaction(() => {
      for (const s of SCOPES) {
        this.db.prepare(`DELETE FROM stats_${s}_1m WHERE bucket < ?`).run(now - MINUTE_BUCKETS_KEEP_MS);
        this.db.prepare(`DELETE FROM stats_${s}_10m WHERE bucket < ?`).run(now - this.retentionMs);
      }
      this.db.prepare('DELETE FROM rejects WHERE bucket < ?').run(now - this.retentionMs - TEN_MINUTES_MS);
    })();
  }

  /** Commits what is queued, then closes the database. */
  close(): void {
    this.writer.close();
    this.db.close();
  }
}

function prepareStatements(db: SqliteDatabase) {
  return {
    accountByName: db.prepare('SELECT id, name, payout_address FROM accounts WHERE name = ?'),
    accountById: db.prepare('SELECT name FROM accounts WHERE id = ?'),
    insertAccount: db.prepare('INSERT INTO accounts (name, payout_address, created_at) VALUES (?, ?, ?)'),
    setPayoutIfNull: db.prepare(
      'UPDATE accounts SET payout_address = ? WHERE id = ? AND payout_address IS NULL',
    ),
    workerByName: db.prepare('SELECT id, user_agent FROM workers WHERE account_id = ? AND name = ?'),
    insertWorker: db.prepare(
      'INSERT INTO workers (account_id, name, user_agent, first_seen) VALUES (?, ?, ?, ?)',
    ),
    setUserAgent: db.prepare('UPDATE workers SET user_agent = ? WHERE id = ?'),
    insertShare: db.prepare(
      `INSERT INTO shares (account_id, worker_id, difficulty, share_difficulty, channel_id, job_id, time, is_block)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateWorker: db.prepare(
      `UPDATE workers SET accepted = accepted + @accepted, rejected = rejected + @rejected,
         last_share_at = CASE WHEN @last_share_at IS NULL THEN last_share_at
                              ELSE MAX(COALESCE(last_share_at, 0), @last_share_at) END,
         best_share_difficulty = MAX(best_share_difficulty, @best_share_difficulty),
         current_difficulty = COALESCE(@current_difficulty, current_difficulty)
       WHERE id = @worker_id`,
    ),
    upsertReject: db.prepare(
      `INSERT INTO rejects (worker_id, bucket, reason, account_id, count) VALUES (@worker_id, @bucket, @reason, @account_id, @count)
       ON CONFLICT DO UPDATE SET count = count + excluded.count`,
    ),
    upsertRejectTotal: db.prepare(
      `INSERT INTO reject_totals (account_id, reason, count) VALUES (@account_id, @reason, @count)
       ON CONFLICT DO UPDATE SET count = count + excluded.count`,
    ),
    olderShares: db
      .prepare('SELECT id, account_id, difficulty FROM shares WHERE id < ? ORDER BY id DESC LIMIT ?')
      .raw(true),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value',
    ),
  };
}

function bucketParams(b: BucketSum, keyed: boolean): Record<string, number> {
  const p: Record<string, number> = {
    bucket: b.bucket,
    accepted_difficulty: b.accepted_difficulty,
    accepted: b.accepted,
    rejected: b.rejected,
  };
  if (keyed) p.id = b.id;
  return p;
}
