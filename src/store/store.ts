// The pool's store: accounts and workers, the batched share writer (every
// share acknowledged to a miner is committed first), reject counts, stats
// buckets, the PPLNS window, blocks, payouts and carried credits. It runs on
// SQLite (a file, the default: one pool process) or PostgreSQL (a server that
// several pool processes, on one host or several, share). Both have the same
// schema and guarantees; each engine has its own share-batch writer, the
// statement that matters for throughput.
import type { Statement } from 'better-sqlite3';
import { migratePostgres, openDatabase, type OpenDatabaseOptions, type SqliteDatabase } from './db.js';
import {
  isPostgresUrl,
  PostgresEngine,
  SqliteEngine,
  type PostgresOptions,
  type SqlEngine,
  type SqlQueryable,
} from './sql.js';
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
  /** Connection settings when the store is a PostgreSQL URL. */
  postgres?: PostgresOptions;
  /**
   * Other processes write shares to this database too (the pool's workers
   * on one SQLite file): the PPLNS window then reads every process's shares
   * from the table in id order, as it always does on PostgreSQL, instead of
   * taking this process's commits only. Default false.
   */
  shared_writers?: boolean;
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

interface InboxEntry {
  ids: WorkerIds | undefined;
  error: unknown;
  lookup: Promise<void>;
  make: (w: WorkerIds) => BatchItem;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

const MAX_NAME_LENGTH = 255;
/** Accounts whose spellings are remembered for the share path (cleared past this). */
const MAX_IDENTITIES = 100_000;
const WINDOW_LOAD_CHUNK = 50_000;
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * A name as the store keeps it: U+0000, which PostgreSQL's text cannot hold,
 * becomes U+FFFD (as a lone surrogate does on the way to UTF-8), on both
 * engines alike.
 */
export function storedName(name: string): string {
  return name.includes('\0') ? name.replace(/\0/g, '\uFFFD') : name;
}

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
  readonly engine: SqlEngine;
  readonly stats: StoreStats;
  readonly ledger: Ledger;
  readonly pplns_window_factor: number;
  private readonly writer: BatchWriter<BatchItem, number | null>;
  private readonly window: RunningWindow;
  private readonly accounts = new Map<string, { id: number; name: string }>();
  private readonly accountNames = new Map<number, string>();
  private readonly workers = new Map<string, WorkerIds>();
  /** Worker ids by the account and worker names exactly as shares give them. */
  private readonly byIdentity = new Map<string, Map<string, WorkerIds>>();
  /** Worker look-ups in flight, so the shares of a new worker wait on one. */
  private readonly workerLookups = new Map<string, Promise<WorkerIds>>();
  /** Items waiting, in order, for a worker look-up ahead of them (flush waits for them). */
  private readonly inbox: InboxEntry[] = [];
  private readonly retentionMs: number;
  private readonly autoPrune: boolean;
  private lastPrune = Date.now();
  /** Newest share id the window has seen (PostgreSQL: shares of every pool process sharing the database). */
  private tailId = 0;
  /** The window tails the shares table (PostgreSQL, or SQLite with shared_writers). */
  private readonly tails: boolean;

  /**
   * Opens the store at `location`: a SQLite file path, or a `postgres://`
   * URL. Applies the schema migrations the database has not seen and reloads
   * the PPLNS window.
   */
  static async open(location: string, options: StoreOptions = {}): Promise<Store> {
    let engine: SqlEngine;
    if (isPostgresUrl(location)) {
      const pgEngine = new PostgresEngine(location, options.postgres);
      try {
        await migratePostgres(pgEngine);
      } catch (err) {
        await pgEngine.close();
        throw err;
      }
      engine = pgEngine;
    } else {
      engine = new SqliteEngine(openDatabase(location, options));
    }
    const store = new Store(engine, options);
    try {
      await store.init();
    } catch (err) {
      await engine.close();
      throw err;
    }
    return store;
  }

  /** A store on an SQLite database opened (and migrated) by the caller. */
  static async fromSqlite(db: SqliteDatabase, options: StoreOptions = {}): Promise<Store> {
    const store = new Store(new SqliteEngine(db), options);
    await store.init();
    return store;
  }

  private constructor(engine: SqlEngine, options: StoreOptions) {
    this.engine = engine;
    this.pplns_window_factor = options.pplns_window_factor ?? 2;
    if (!(this.pplns_window_factor > 0)) throw new RangeError('pplns_window_factor must be > 0');
    this.retentionMs = (options.stats_retention_days ?? 35) * 86_400_000;
    this.autoPrune = options.auto_prune ?? true;
    this.tails = engine.kind === 'postgres' || options.shared_writers === true;
    const commit =
      engine instanceof SqliteEngine
        ? sqliteBatchCommit(engine)
        : postgresBatchCommit(engine as PostgresEngine);
    this.writer = new BatchWriter(async (items) => {
      const { results, shares } = await commit(items);
      this.afterCommit(shares);
      return results;
    }, options);
    this.ledger = new Ledger(engine, (name, q) => this.accountId(name, q));
    this.stats = new StoreStats(engine);
    this.window = new RunningWindow(0);
  }

  /** SQLite: the database file (undefined on PostgreSQL). */
  get sqlite(): SqliteDatabase | undefined {
    return this.engine instanceof SqliteEngine ? this.engine.db : undefined;
  }

  private async init(): Promise<void> {
    // Rebuild the PPLNS window for the last target used.
    const saved = await this.engine.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [
      'pplns_target',
    ]);
    this.window.setTarget(saved ? Number(saved.value) : 0);
    const newest = await this.engine.get<{ id: number | null }>('SELECT MAX(id) AS id FROM shares');
    this.tailId = newest?.id ?? 0;
    this.window.complete = false;
    await this.fillWindow();
  }

  // ---- accounts and workers -------------------------------------------------

  /** Returns the account's id, creating the account if needed. */
  async ensureAccount(
    name: string,
    options: { payout_address?: string } = {},
  ): Promise<{ id: number; name: string }> {
    checkName('account', name, false);
    name = storedName(name);
    const folded = foldName(name);
    let a = this.accounts.get(folded);
    if (!a) {
      const q = this.engine;
      // INSERT … ON CONFLICT DO NOTHING, then read: another pool process may create it at the same moment.
      await q.run(
        'INSERT INTO accounts (name, payout_address, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
        [name, options.payout_address ?? null, Date.now()],
      );
      const row = await q.get<{ id: number; name: string }>('SELECT id, name FROM accounts WHERE name = ?', [
        name,
      ]);
      if (!row) throw new Error(`account ${JSON.stringify(name)} could not be created`);
      a = { id: row.id, name: row.name };
      this.accounts.set(folded, a);
      this.accountNames.set(a.id, a.name);
    }
    if (options.payout_address !== undefined) {
      await this.engine.run(
        'UPDATE accounts SET payout_address = ? WHERE id = ? AND payout_address IS NULL',
        [options.payout_address, a.id],
      );
    }
    return a;
  }

  /**
   * Returns the ids of `account.worker`, creating rows as needed. Workers are
   * keyed by (account, worker name), not by connection, so a reconnecting
   * miner keeps its history. A solo identity (options.solo) is an address the
   * pool has validated; it becomes the account's payout address.
   */
  async ensureWorker(account: string, worker: string, options: WorkerOptions = {}): Promise<WorkerIds> {
    checkName('worker', worker, true);
    worker = storedName(worker);
    const a = await this.ensureAccount(account, options.solo ? { payout_address: account } : {});
    const key = `${a.id}\0${worker}`;
    const w = this.workers.get(key);
    if (w) {
      if (options.user_agent !== undefined) {
        await this.engine.run('UPDATE workers SET user_agent = ? WHERE id = ?', [
          options.user_agent,
          w.worker_id,
        ]);
      }
      return w;
    }
    const q = this.engine;
    await q.run(
      `INSERT INTO workers (account_id, name, user_agent, first_seen) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_id, name) DO NOTHING`,
      [a.id, worker, options.user_agent ?? null, Date.now()],
    );
    const row = await q.get<{ id: number; user_agent: string | null }>(
      'SELECT id, user_agent FROM workers WHERE account_id = ? AND name = ?',
      [a.id, worker],
    );
    if (!row) throw new Error(`worker ${JSON.stringify(worker)} could not be created`);
    if (options.user_agent !== undefined && row.user_agent !== options.user_agent) {
      await q.run('UPDATE workers SET user_agent = ? WHERE id = ?', [options.user_agent, row.id]);
    }
    const ids = { account_id: a.id, worker_id: row.id, account: a.name };
    this.workers.set(key, ids);
    this.remember(account, worker, ids);
    return ids;
  }

  /** The ids of a spelling of `account.worker` as shares name it, for the next share (bounded). */
  private remember(account: string, worker: string, ids: WorkerIds): void {
    let workers = this.byIdentity.get(account);
    if (!workers) {
      if (this.byIdentity.size >= MAX_IDENTITIES) this.byIdentity.clear();
      this.byIdentity.set(account, (workers = new Map()));
    }
    workers.set(worker, ids);
  }

  /** The ids of `account.worker` for a share: from memory once known, one look-up per new worker. */
  private workerIds(account: string, worker: string): WorkerIds | Promise<WorkerIds> {
    const byName = this.byIdentity.get(account)?.get(worker);
    if (byName) return byName;
    account = storedName(account);
    worker = storedName(worker);
    const a = this.accounts.get(foldName(account));
    const known = a && this.workers.get(`${a.id}\0${worker}`);
    if (known) {
      this.remember(account, worker, known);
      return known;
    }
    const key = `${foldName(account)}\0${worker}`;
    let p = this.workerLookups.get(key);
    if (!p) {
      p = this.ensureWorker(account, worker).finally(() => this.workerLookups.delete(key));
      this.workerLookups.set(key, p);
    }
    return p;
  }

  async getAccount(name: string): Promise<Account | undefined> {
    return this.engine.get<Account>(
      'SELECT id, name, password_hash, payout_address, created_at FROM accounts WHERE name = ?',
      [storedName(name)],
    );
  }

  async setPasswordHash(account: string, password_hash: string | null): Promise<void> {
    const { id } = await this.ensureAccount(account);
    await this.engine.run('UPDATE accounts SET password_hash = ? WHERE id = ?', [password_hash, id]);
  }

  async setPayoutAddress(account: string, payout_address: string | null): Promise<void> {
    const { id } = await this.ensureAccount(account);
    await this.engine.run('UPDATE accounts SET payout_address = ? WHERE id = ?', [payout_address, id]);
  }

  /** Payout addresses of the named accounts that have one. */
  async payoutAddresses(accounts: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const name of accounts) {
      const row = await this.engine.get<{ name: string; payout_address: string | null }>(
        'SELECT name, payout_address FROM accounts WHERE name = ?',
        [storedName(name)],
      );
      if (row?.payout_address) out.set(name, row.payout_address);
    }
    return out;
  }

  /** `q`: where to read it (a transaction's queryable: SQLite's connection waits for the transaction otherwise). */
  private async accountId(name: string, q: SqlQueryable = this.engine): Promise<number | undefined> {
    name = storedName(name);
    const cached = this.accounts.get(foldName(name));
    if (cached) return cached.id;
    const row = await q.get<{ id: number }>('SELECT id FROM accounts WHERE name = ?', [name]);
    return row?.id;
  }

  private async accountName(id: number): Promise<string> {
    let name = this.accountNames.get(id);
    if (name === undefined) {
      const row = await this.engine.get<{ name: string }>('SELECT name FROM accounts WHERE id = ?', [id]);
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
    try {
      checkShare(share);
      checkName('worker', share.worker, true);
      checkName('account', share.account, false);
    } catch (err) {
      return Promise.reject(err);
    }
    const time = share.time ?? Date.now();
    const ids = this.workerIds(share.account, share.worker);
    // The common case (a known worker, nobody waiting ahead) straight into the batch.
    if (!(ids instanceof Promise) && this.inbox.length === 0) {
      return this.writer.enqueue({ kind: 'share', ids, share, time }) as Promise<number>;
    }
    return this.queue<number>(ids, (w) => ({ kind: 'share', ids: w, share, time }));
  }

  /** Counts a rejected share (in the same batches as accepted shares). */
  reject(r: RejectInput): Promise<void> {
    try {
      checkName('reason', r.reason, false);
      checkName('worker', r.worker, true);
      checkName('account', r.account, false);
    } catch (err) {
      return Promise.reject(err);
    }
    const time = r.time ?? Date.now();
    const ids = this.workerIds(r.account, r.worker);
    return this.queue(ids, (w) => ({ kind: 'reject', ids: w, reason: r.reason, time })).then(() => undefined);
  }

  /**
   * Commits every queued share now (also those of new workers whose ids are
   * still being looked up); resolves with how many items were committed.
   */
  async flush(): Promise<number> {
    while (this.inbox.length > 0) await Promise.allSettled(this.inbox.map((e) => e.lookup));
    return this.writer.flush();
  }

  /** Items queued, or waiting for their worker's ids. */
  get pending(): number {
    return this.writer.pending + this.inbox.length;
  }

  /**
   * Queues an item once its worker's ids are known. Items enter the batch in
   * the order they were given (the commit order PPLNS walks), so one waiting
   * for a new worker's ids holds back those behind it.
   */
  private queue<R>(ids: WorkerIds | Promise<WorkerIds>, make: (w: WorkerIds) => BatchItem): Promise<R> {
    if (!(ids instanceof Promise) && this.inbox.length === 0)
      return this.writer.enqueue(make(ids)) as Promise<R>;
    return new Promise<R>((resolve, reject) => {
      const entry: InboxEntry = {
        ids: ids instanceof Promise ? undefined : ids,
        error: undefined,
        lookup: Promise.resolve(),
        make,
        resolve: resolve as (v: unknown) => void,
        reject,
      };
      if (ids instanceof Promise) {
        entry.lookup = ids.then(
          (w) => {
            entry.ids = w;
            this.drain();
          },
          (err: unknown) => {
            entry.error = err ?? new Error('worker look-up failed');
            this.drain();
          },
        );
      }
      this.inbox.push(entry);
    });
  }

  private drain(): void {
    while (this.inbox.length > 0) {
      const e = this.inbox[0]!;
      if (e.ids === undefined && e.error === undefined) return;
      this.inbox.shift();
      if (e.error !== undefined) e.reject(e.error);
      else this.writer.enqueue(e.make(e.ids!)).then(e.resolve, e.reject);
    }
  }

  private afterCommit(shares: readonly WindowShare[]): void {
    // SQLite with one pool process: it is the only writer, so its commits are
    // the window's news. PostgreSQL, or SQLite shared by the pool's workers:
    // the window reads every process's shares from the table (pplnsWindow),
    // in id order.
    if (!this.tails) {
      for (const s of shares) this.window.push(s);
      const last = shares[shares.length - 1];
      if (last) this.tailId = last.id;
    }
    if (this.autoPrune && Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
      // Pruning is housekeeping; a failure here must not fail the committed batch.
      this.prune().catch(() => {});
    }
  }

  // ---- PPLNS window -------------------------------------------------------------

  /**
   * Per-account difficulty in the last N = pplns_window_factor × network
   * difficulty of accepted work (committed shares only), from the in-memory
   * window; older shares are read from the database only when N grows. On
   * PostgreSQL (and SQLite with shared_writers) the window first takes in
   * the shares other pool processes committed since the last call.
   */
  async pplnsWindow(networkDifficulty: number): Promise<PplnsWindowResult> {
    if (!Number.isFinite(networkDifficulty) || networkDifficulty < 0) {
      throw new RangeError(`network difficulty must be a finite number ≥ 0, got ${networkDifficulty}`);
    }
    if (this.tails) await this.tail();
    const target = this.pplns_window_factor * networkDifficulty;
    if (target !== this.window.target) {
      this.window.setTarget(target);
      await this.engine.run(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        ['pplns_target', String(target)],
      );
      await this.fillWindow();
    }
    const snap = this.window.snapshot();
    const window: PplnsWindowEntry[] = [];
    for (const [id, difficulty] of snap.accounts)
      window.push({ account: await this.accountName(id), difficulty });
    window.sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
    return { window, total: snap.total, target: snap.target };
  }

  /** Appends the shares committed after the newest one the window holds, in id order. */
  private async tail(): Promise<void> {
    for (;;) {
      const rows = await this.engine.all<WindowShare>(
        'SELECT id, account_id, difficulty FROM shares WHERE id > ? ORDER BY id LIMIT ?',
        [this.tailId, WINDOW_LOAD_CHUNK],
      );
      for (const r of rows) this.window.push(r);
      const last = rows[rows.length - 1];
      if (last) this.tailId = last.id;
      if (rows.length < WINDOW_LOAD_CHUNK) return;
    }
  }

  private async fillWindow(): Promise<void> {
    if (!this.window.wantsOlder) return;
    // Read back older shares in chunks until they cover what is missing (or the
    // first share is reached), then hand them to the window at once.
    const missing = this.window.target - this.window.total;
    let before = this.window.oldestId ?? this.tailId + 1;
    let loaded: [number, number, number][] = [];
    let sum = 0;
    let reachedStart = false;
    while (sum < missing) {
      const rows = (
        await this.engine.all<WindowShare>(
          'SELECT id, account_id, difficulty FROM shares WHERE id < ? ORDER BY id DESC LIMIT ?',
          [before, WINDOW_LOAD_CHUNK],
        )
      ).map((r) => [r.id, r.account_id, r.difficulty] as [number, number, number]);
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
  async prune(now = Date.now()): Promise<void> {
    this.lastPrune = now;
    await this.engine.transaction(async (q) => {
      for (const s of SCOPES) {
        await q.run(`DELETE FROM stats_${s}_1m WHERE bucket < ?`, [now - MINUTE_BUCKETS_KEEP_MS]);
        await q.run(`DELETE FROM stats_${s}_10m WHERE bucket < ?`, [now - this.retentionMs]);
      }
      await q.run('DELETE FROM rejects WHERE bucket < ?', [now - this.retentionMs - TEN_MINUTES_MS]);
    });
  }

  /** Commits what is queued, then closes the database. */
  async close(): Promise<void> {
    await this.writer.close();
    await this.engine.close();
  }
}

type BatchCommit = (
  items: readonly BatchItem[],
) => Promise<{ results: (number | null)[]; shares: WindowShare[] }>;

/** SQLite: one synchronous transaction per batch, on statements prepared once. */
function sqliteBatchCommit(engine: SqliteEngine): BatchCommit {
  const db = engine.db;
  const st = {
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
  };
  const upserts = new Map<string, Statement>();
  for (const s of SCOPES) {
    for (const r of RESOLUTIONS) {
      const key = s === 'pool' ? '' : `${s}_id, `;
      const keyVal = s === 'pool' ? '' : '@id, ';
      upserts.set(
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
  const write = (items: readonly BatchItem[]) => {
    const agg = new BatchAggregate();
    const results: (number | null)[] = [];
    const shares: WindowShare[] = [];
    for (const item of items) {
      const { account_id, worker_id } = item.ids;
      if (item.kind === 'share') {
        const s = item.share;
        const info = st.insertShare.run(
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
      (upserts.get(table) as Statement).run(bucketParams(sum, scope !== 'pool'));
    }
    for (const w of agg.workers.values()) st.updateWorker.run(w);
    for (const r of agg.rejects.values()) st.upsertReject.run(r);
    for (const t of agg.rejectTotals.values()) st.upsertRejectTotal.run(t);
    return { results, shares };
  };
  // SQLite gives rowids in commit order (one writer at a time, whichever
  // process it is), so a reader that sees a share id sees every lower one.
  return (items) => engine.exclusive(() => write(items));
}

/** Any 64-bit key, the same for every pool process: share batches take it in turn. */
const SHARE_BATCH_LOCK = 0x53_5452_4154_01; // 'STRAT' 01

/**
 * PostgreSQL: one transaction per batch, a statement per table with the
 * batch's rows as arrays (unnest), whatever the batch size. The batch first
 * takes an advisory lock shared by every pool process on the database, then
 * draws its share ids: ids are handed out in commit order, so a reader that
 * sees a share id also sees every lower one (the PPLNS window reads on that).
 */
function postgresBatchCommit(engine: PostgresEngine): BatchCommit {
  return (items) =>
    engine.transaction(async (q) => {
      await q.run('SELECT pg_advisory_xact_lock(?)', [SHARE_BATCH_LOCK]);
      const agg = new BatchAggregate();
      const shareItems = items.filter((i): i is Extract<BatchItem, { kind: 'share' }> => i.kind === 'share');
      let ids: number[] = [];
      if (shareItems.length > 0) {
        ids = (
          await q.all<{ id: number }>(
            `SELECT nextval(pg_get_serial_sequence('shares', 'id')) AS id FROM generate_series(1, ?)`,
            [shareItems.length],
          )
        ).map((r) => r.id);
        const col = <T>(f: (i: (typeof shareItems)[number]) => T) => shareItems.map(f);
        await q.run(
          `INSERT INTO shares (id, account_id, worker_id, difficulty, share_difficulty, channel_id, job_id, time, is_block)
           SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::float8[], ?::float8[], ?::bigint[],
             ?::bigint[], ?::bigint[], ?::int[])`,
          [
            ids,
            col((i) => i.ids.account_id),
            col((i) => i.ids.worker_id),
            col((i) => i.share.difficulty),
            col((i) => i.share.share_difficulty),
            col((i) => i.share.channel_id),
            col((i) => i.share.job_id),
            col((i) => i.time),
            col((i) => (i.share.is_block ? 1 : 0)),
          ],
        );
      }
      const results: (number | null)[] = [];
      const shares: WindowShare[] = [];
      let n = 0;
      for (const item of items) {
        const { account_id, worker_id } = item.ids;
        if (item.kind === 'share') {
          const s = item.share;
          const id = ids[n++] as number;
          results.push(id);
          shares.push({ id, account_id, difficulty: s.difficulty });
          agg.accepted(account_id, worker_id, item.time, s.difficulty, s.share_difficulty, s.below_target);
        } else {
          results.push(null);
          agg.rejected(account_id, worker_id, item.time, item.reason);
        }
      }
      const byTable = new Map<string, { keyed: boolean; sums: BucketSum[] }>();
      for (const { table, scope, sum } of agg.bucketSums()) {
        let t = byTable.get(table);
        if (!t) byTable.set(table, (t = { keyed: scope !== 'pool', sums: [] }));
        t.sums.push(sum);
      }
      for (const [table, { keyed, sums }] of byTable) {
        const key = keyed ? `${table.split('_')[0]}_id` : '';
        const arrays = [
          sums.map((b) => b.bucket),
          sums.map((b) => b.accepted_difficulty),
          sums.map((b) => b.accepted),
          sums.map((b) => b.rejected),
        ];
        await q.run(
          `INSERT INTO stats_${table} (${keyed ? `${key}, ` : ''}bucket, accepted_difficulty, accepted, rejected)
           SELECT * FROM unnest(${keyed ? '?::bigint[], ' : ''}?::bigint[], ?::float8[], ?::bigint[], ?::bigint[])
           ON CONFLICT (${keyed ? `${key}, ` : ''}bucket) DO UPDATE SET
             accepted_difficulty = stats_${table}.accepted_difficulty + excluded.accepted_difficulty,
             accepted = stats_${table}.accepted + excluded.accepted,
             rejected = stats_${table}.rejected + excluded.rejected`,
          keyed ? [sums.map((b) => b.id), ...arrays] : arrays,
        );
      }
      const workers = [...agg.workers.values()];
      if (workers.length > 0) {
        await q.run(
          `UPDATE workers w SET accepted = w.accepted + u.accepted, rejected = w.rejected + u.rejected,
             last_share_at = CASE WHEN u.last_share_at IS NULL THEN w.last_share_at
                                  ELSE GREATEST(COALESCE(w.last_share_at, 0), u.last_share_at) END,
             best_share_difficulty = GREATEST(w.best_share_difficulty, u.best_share_difficulty),
             current_difficulty = COALESCE(u.current_difficulty, w.current_difficulty)
           FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::float8[], ?::float8[])
             AS u (worker_id, accepted, rejected, last_share_at, best_share_difficulty, current_difficulty)
           WHERE w.id = u.worker_id`,
          [
            workers.map((w) => w.worker_id),
            workers.map((w) => w.accepted),
            workers.map((w) => w.rejected),
            workers.map((w) => w.last_share_at),
            workers.map((w) => w.best_share_difficulty),
            workers.map((w) => w.current_difficulty),
          ],
        );
      }
      const rejects = [...agg.rejects.values()];
      if (rejects.length > 0) {
        await q.run(
          `INSERT INTO rejects (worker_id, bucket, reason, account_id, count)
           SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[])
           ON CONFLICT (worker_id, bucket, reason) DO UPDATE SET count = rejects.count + excluded.count`,
          [
            rejects.map((r) => r.worker_id),
            rejects.map((r) => r.bucket),
            rejects.map((r) => r.reason),
            rejects.map((r) => r.account_id),
            rejects.map((r) => r.count),
          ],
        );
      }
      const totals = [...agg.rejectTotals.values()];
      if (totals.length > 0) {
        await q.run(
          `INSERT INTO reject_totals (account_id, reason, count)
           SELECT * FROM unnest(?::bigint[], ?::text[], ?::bigint[])
           ON CONFLICT (account_id, reason) DO UPDATE SET count = reject_totals.count + excluded.count`,
          [totals.map((t) => t.account_id), totals.map((t) => t.reason), totals.map((t) => t.count)],
        );
      }
      return { results, shares };
    });
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
