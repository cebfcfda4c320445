// Failure counting for log-ins and sign-ups: a key (an IP address or a folded
// account name) is locked once it has `max` failures within `windowMs`, until
// the window of its first counted failure has passed. The counts live in the
// store's web_failures table under a scope per limiter, so a lockout outlives
// a restart of the pool.
//
// The table stays bounded whatever keys an attacker sprays: when a new key
// arrives, the scope's expired rows are deleted (an index range, usually
// empty), and at `maxKeys` rows the oldest keys (by first failure) give way.
// The scope's row count is kept here rather than counted in SQL for every
// new key (a COUNT over 100,000 rows costs milliseconds; it is recounted once
// every RECOUNT_EVERY new keys), so each scope has one limiter per process.
import { SerialLock, type SqlEngine, type SqlQueryable } from '../../store/sql.js';

/** What a limiter counts; each is its own set of keys. */
export type FailureScope = 'login_account' | 'login_ip' | 'signup_ip';

interface Row {
  count: number;
  since: number;
}

const GET = 'SELECT count, since FROM web_failures WHERE scope = ? AND key = ?';
const BUMP = 'UPDATE web_failures SET count = count + 1 WHERE scope = ? AND key = ?';
const RESTART = 'UPDATE web_failures SET count = 1, since = ? WHERE scope = ? AND key = ?';
// A key another process inserted since this one read it counts as one more failure.
const INSERT = `INSERT INTO web_failures (scope, key, count, since) VALUES (?, ?, 1, ?)
  ON CONFLICT (scope, key) DO UPDATE SET count = web_failures.count + 1`;
const DELETE = 'DELETE FROM web_failures WHERE scope = ? AND key = ?';
const PRUNE = 'DELETE FROM web_failures WHERE scope = ? AND since <= ?';
const EVICT = `DELETE FROM web_failures WHERE scope = ? AND key IN
  (SELECT key FROM web_failures WHERE scope = ? ORDER BY since LIMIT ?)`;

/**
 * New keys between two counts in SQL. Several pool processes on one
 * PostgreSQL database each count only the rows they change; the recount keeps
 * each one's figure close to the table's, so the bound holds there too.
 */
const RECOUNT_EVERY = 1000;

async function count(q: SqlQueryable, scope: FailureScope): Promise<number> {
  const row = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM web_failures WHERE scope = ?', [scope]);
  return Number(row?.n ?? 0);
}

export class FailureLimiter {
  #rows = 0;
  #newKeys = 0;
  /** One failure at a time per limiter, so the row count and the bound stay exact within a process. */
  readonly #lock = new SerialLock();

  private constructor(
    private readonly engine: SqlEngine,
    readonly scope: FailureScope,
    readonly max: number,
    readonly windowMs: number,
    readonly maxKeys: number,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be an integer ≥ 1');
    if (!(windowMs > 0)) throw new RangeError('windowMs must be > 0');
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError('maxKeys must be an integer ≥ 1');
  }

  /** A limiter on the scope's rows: expired ones are deleted and the rest counted first. */
  static async open(
    engine: SqlEngine,
    scope: FailureScope,
    max: number,
    windowMs: number,
    maxKeys = 100_000,
  ): Promise<FailureLimiter> {
    const l = new FailureLimiter(engine, scope, max, windowMs, maxKeys);
    await engine.run(PRUNE, [scope, Date.now() - windowMs]);
    l.#rows = await count(engine, scope);
    return l;
  }

  /** Rows this scope holds (expired ones included until they are pruned). */
  get size(): number {
    return this.#rows;
  }

  async locked(key: string, now = Date.now()): Promise<boolean> {
    const row = await this.engine.get<Row>(GET, [this.scope, key]);
    return row !== undefined && now - row.since < this.windowMs && row.count >= this.max;
  }

  fail(key: string, now = Date.now()): Promise<void> {
    return this.#lock.run(() => this.engine.transaction((q) => this.#fail(q, key, now)));
  }

  async #fail(q: SqlQueryable, key: string, now: number): Promise<void> {
    const row = await q.get<Row>(GET, [this.scope, key]);
    if (row && now - row.since < this.windowMs) {
      await q.run(BUMP, [this.scope, key]);
      return;
    }
    if (row) {
      // Its window has passed: counting starts again from this failure.
      await q.run(RESTART, [now, this.scope, key]);
      return;
    }
    const pruned = await q.run(PRUNE, [this.scope, now - this.windowMs]);
    this.#rows -= pruned;
    if (++this.#newKeys % RECOUNT_EVERY === 0) this.#rows = await count(q, this.scope);
    if (this.#rows >= this.maxKeys) {
      const evicted = await q.run(EVICT, [this.scope, this.scope, this.#rows - this.maxKeys + 1]);
      this.#rows -= evicted;
    }
    await q.run(INSERT, [this.scope, key, now]);
    this.#rows++;
  }

  async clear(key: string): Promise<void> {
    const deleted = await this.engine.run(DELETE, [this.scope, key]);
    this.#rows -= deleted;
  }

  /** Deletes the scope's rows whose window has passed (also done as new keys arrive). */
  async prune(now = Date.now()): Promise<void> {
    const pruned = await this.engine.run(PRUNE, [this.scope, now - this.windowMs]);
    this.#rows -= pruned;
  }
}
