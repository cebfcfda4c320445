// Sessions logged out before they expired, kept in the store's
// web_revoked_sessions table so a logged-out cookie stays dead across a
// restart of the pool. Looking one up is a primary-key read per request that
// carries a validly signed, unexpired session cookie.
//
// Bounded: a revocation is only needed until its cookie expires, so expired
// rows are deleted on each log-out (an index range, usually empty); at
// `maxRows` the revocations that expire soonest give way (those cookies
// still expire on their own). The row count is kept here rather than
// counted in SQL, so a database has one RevokedSessions at a time.
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../../store/index.js';

export class RevokedSessions {
  readonly #has: Statement;
  readonly #insert: Statement;
  readonly #prune: Statement;
  readonly #evict: Statement;
  readonly #revokeTx: (sid: string, expires: number, now: number) => void;
  #rows: number;

  constructor(
    db: SqliteDatabase,
    readonly maxRows = 100_000,
  ) {
    if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError('maxRows must be an integer ≥ 1');
    this.#has = db.prepare('SELECT 1 FROM web_revoked_sessions WHERE sid = ?').pluck();
    this.#insert = db.prepare(
      'INSERT INTO web_revoked_sessions (sid, expires) VALUES (?, ?) ON CONFLICT DO NOTHING',
    );
    this.#prune = db.prepare('DELETE FROM web_revoked_sessions WHERE expires <= ?');
    this.#evict = db.prepare(
      `DELETE FROM web_revoked_sessions WHERE sid IN
         (SELECT sid FROM web_revoked_sessions ORDER BY expires LIMIT ?)`,
    );
    this.#revokeTx = db.transaction((sid: string, expires: number, now: number) =>
      this.#revoke(sid, expires, now),
    );
    this.#prune.run(Date.now());
    this.#rows = Number(db.prepare('SELECT COUNT(*) FROM web_revoked_sessions').pluck().get());
  }

  /** Rows held (expired ones included until they are pruned). */
  get size(): number {
    return this.#rows;
  }

  /** Whether the session `sid` was logged out (callers check expiry first). */
  has(sid: string): boolean {
    return this.#has.get(sid) !== undefined;
  }

  /** Logs the session out for the rest of its life (until `expires`, ms). */
  revoke(sid: string, expires: number, now = Date.now()): void {
    if (expires <= now) return;
    this.#revokeTx(sid, expires, now);
  }

  #revoke(sid: string, expires: number, now: number): void {
    if (this.#has.get(sid) !== undefined) return;
    this.#rows -= this.#prune.run(now).changes;
    if (this.#rows >= this.maxRows) this.#rows -= this.#evict.run(this.#rows - this.maxRows + 1).changes;
    this.#rows += this.#insert.run(sid, expires).changes;
  }
}
