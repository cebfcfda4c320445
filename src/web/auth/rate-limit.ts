// Failure counting for log-ins and sign-ups: a key (an IP address or a folded
// account name) is locked once it has `max` failures within `windowMs`, until
// the window of its first counted failure has passed. The counts live in the
// store's web_failures table under a scope per limiter, so a lockout outlives
// a restart of the pool.
//
// The table stays bounded whatever keys an attacker sprays: when a new key
// arrives, the scope's expired rows are deleted (an index range, usually
// empty), and at `maxKeys` rows the oldest keys (by first failure) give way.
// The scope's row count is kept here rather than counted in SQL (a COUNT over
// 100,000 rows costs milliseconds), so each scope has one limiter per
// database at a time.
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../../store/index.js';

/** What a limiter counts; each is its own set of keys. */
export type FailureScope = 'login_account' | 'login_ip' | 'signup_ip';

interface Row {
  count: number;
  since: number;
}

export class FailureLimiter {
  readonly #get: Statement;
  readonly #bump: Statement;
  readonly #restart: Statement;
  readonly #insert: Statement;
  readonly #delete: Statement;
  readonly #prune: Statement;
  readonly #evict: Statement;
  readonly #failTx: (key: string, now: number) => void;
  #rows: number;

  constructor(
    db: SqliteDatabase,
    readonly scope: FailureScope,
    readonly max: number,
    readonly windowMs: number,
    readonly maxKeys = 100_000,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be an integer ≥ 1');
    if (!(windowMs > 0)) throw new RangeError('windowMs must be > 0');
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError('maxKeys must be an integer ≥ 1');
    this.#get = db.prepare('SELECT count, since FROM web_failures WHERE scope = ? AND key = ?');
    this.#bump = db.prepare('UPDATE web_failures SET count = count + 1 WHERE scope = ? AND key = ?');
    this.#restart = db.prepare('UPDATE web_failures SET count = 1, since = ? WHERE scope = ? AND key = ?');
    this.#insert = db.prepare('INSERT INTO web_failures (scope, key, count, since) VALUES (?, ?, 1, ?)');
    this.#delete = db.prepare('DELETE FROM web_failures WHERE scope = ? AND key = ?');
    this.#prune = db.prepare('DELETE FROM web_failures WHERE scope = ? AND since <= ?');
    this.#evict = db.prepare(
      `DELETE FROM web_failures WHERE scope = ? AND key IN
         (SELECT key FROM web_failures WHERE scope = ? ORDER BY since LIMIT ?)`,
    );
    this.#failTx = db.transaction((key: string, now: number) => this.#fail(key, now));
    this.#prune.run(scope, Date.now() - windowMs);
    const counted = db.prepare('SELECT COUNT(*) FROM web_failures WHERE scope = ?').pluck().get(scope);
    this.#rows = Number(counted);
  }

  /** Rows this scope holds (expired ones included until they are pruned). */
  get size(): number {
    return this.#rows;
  }

  #current(key: string, now: number): Row | undefined {
    const row = this.#get.get(this.scope, key) as Row | undefined;
    return row && now - row.since < this.windowMs ? row : undefined;
  }

  locked(key: string, now = Date.now()): boolean {
    const row = this.#current(key, now);
    return row !== undefined && row.count >= this.max;
  }

  fail(key: string, now = Date.now()): void {
    this.#failTx(key, now);
  }

  #fail(key: string, now: number): void {
    const row = this.#get.get(this.scope, key) as Row | undefined;
    if (row && now - row.since < this.windowMs) {
      this.#bump.run(this.scope, key);
      return;
    }
    if (row) {
      // Its window has passed: counting starts again from this failure.
      this.#restart.run(now, this.scope, key);
      return;
    }
    this.#rows -= this.#prune.run(this.scope, now - this.windowMs).changes;
    if (this.#rows >= this.maxKeys) {
      this.#rows -= this.#evict.run(this.scope, this.scope, this.#rows - this.maxKeys + 1).changes;
    }
    this.#insert.run(this.scope, key, now);
    this.#rows++;
  }

  clear(key: string): void {
    this.#rows -= this.#delete.run(this.scope, key).changes;
  }

  /** Deletes the scope's rows whose window has passed (also done as new keys arrive). */
  prune(now = Date.now()): void {
    this.#rows -= this.#prune.run(this.scope, now - this.windowMs).changes;
  }
}
