// Sessions logged out before they expired, kept in the store's
// web_revoked_sessions table so a logged-out cookie stays dead across a
// restart of the pool. Looking one up is a primary-key read per request that
// carries a validly signed, unexpired session cookie.
//
// Bounded: a revocation is only needed until its cookie expires, so expired
// rows are deleted on each log-out (an index range, usually empty); at
// `maxRows` the revocations that expire soonest give way (those cookies
// still expire on their own). The row count is kept here rather than
// counted in SQL for every log-out (it is recounted once every
// RECOUNT_EVERY log-outs, which keeps it close when several pool processes
// share one database), so a process has one RevokedSessions at a time.
import { SerialLock, type SqlEngine, type SqlQueryable } from '../../store/sql.js';

const HAS = 'SELECT 1 AS one FROM web_revoked_sessions WHERE sid = ?';
const INSERT = 'INSERT INTO web_revoked_sessions (sid, expires) VALUES (?, ?) ON CONFLICT (sid) DO NOTHING';
const PRUNE = 'DELETE FROM web_revoked_sessions WHERE expires <= ?';
const EVICT = `DELETE FROM web_revoked_sessions WHERE sid IN
  (SELECT sid FROM web_revoked_sessions ORDER BY expires LIMIT ?)`;
const RECOUNT_EVERY = 1000;

async function count(q: SqlQueryable): Promise<number> {
  const row = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM web_revoked_sessions');
  return Number(row?.n ?? 0);
}

export class RevokedSessions {
  #rows = 0;
  #revoked = 0;
  /** One revocation at a time, so the row count and the bound stay exact within a process. */
  readonly #lock = new SerialLock();

  private constructor(
    private readonly engine: SqlEngine,
    readonly maxRows: number,
  ) {
    if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError('maxRows must be an integer ≥ 1');
  }

  /** The revocations of the store: expired ones are deleted and the rest counted first. */
  static async open(engine: SqlEngine, maxRows = 100_000): Promise<RevokedSessions> {
    const r = new RevokedSessions(engine, maxRows);
    await engine.run(PRUNE, [Date.now()]);
    r.#rows = await count(engine);
    return r;
  }

  /** Rows held (expired ones included until they are pruned). */
  get size(): number {
    return this.#rows;
  }

  /** Whether the session `sid` was logged out (callers check expiry first). */
  async has(sid: string): Promise<boolean> {
    return (await this.engine.get(HAS, [sid])) !== undefined;
  }

  /** Logs the session out for the rest of its life (until `expires`, ms). */
  async revoke(sid: string, expires: number, now = Date.now()): Promise<void> {
    if (expires <= now) return;
    await this.#lock.run(() => this.engine.transaction((q) => this.#revoke(q, sid, expires, now)));
  }

  async #revoke(q: SqlQueryable, sid: string, expires: number, now: number): Promise<void> {
    if ((await q.get(HAS, [sid])) !== undefined) return;
    const pruned = await q.run(PRUNE, [now]);
    this.#rows -= pruned;
    if (++this.#revoked % RECOUNT_EVERY === 0) this.#rows = await count(q);
    if (this.#rows >= this.maxRows) {
      const evicted = await q.run(EVICT, [this.#rows - this.maxRows + 1]);
      this.#rows -= evicted;
    }
    const inserted = await q.run(INSERT, [sid, expires]);
    this.#rows += inserted;
  }
}
