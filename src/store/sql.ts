// One small interface over the two SQL engines the pool's store runs on:
// SQLite (better-sqlite3: one in-process connection, synchronous calls) and
// PostgreSQL (pg: a pool of connections to a server several pool processes
// may share). Statements are written once, with `?` placeholders, in the SQL
// both engines accept; the PostgreSQL engine numbers the placeholders.
//
// Transactions: `transaction(fn)` runs fn on a queryable bound to one
// connection, commits when fn resolves and rolls back when it throws. On
// SQLite every other statement waits while a transaction is open, so no
// other caller's write can land inside it (the connection is shared).
import type { Database, Statement } from 'better-sqlite3';
import pg from 'pg';

/** A bound value; arrays only on PostgreSQL (e.g. for `unnest(?::bigint[])`). */
export type SqlParam = string | number | bigint | null | readonly (string | number | null)[];

export interface SqlQueryable {
  /** Every row, as objects keyed by column name. */
  all<T>(sql: string, args?: readonly SqlParam[]): Promise<T[]>;
  /** The first row, or undefined. */
  get<T>(sql: string, args?: readonly SqlParam[]): Promise<T | undefined>;
  /** A statement run for its effect; returns the number of rows it changed. */
  run(sql: string, args?: readonly SqlParam[]): Promise<number>;
}

export type EngineKind = 'sqlite' | 'postgres';

export interface SqlEngine extends SqlQueryable {
  readonly kind: EngineKind;
  transaction<T>(fn: (q: SqlQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Runs calls one after another: the next starts once the previous one settled. */
export class SerialLock {
  #tail: Promise<unknown> = Promise.resolve();
  #held = 0;

  get held(): boolean {
    return this.#held > 0;
  }

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    this.#held++;
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => this.#held--,
      () => this.#held--,
    );
    return result;
  }
}

// ---- SQLite -------------------------------------------------------------------

export class SqliteEngine implements SqlEngine {
  readonly kind = 'sqlite';
  readonly #statements = new Map<string, Statement>();
  readonly #lock = new SerialLock();
  readonly #direct: SqlQueryable;

  constructor(readonly db: Database) {
    this.#direct = {
      all: async <T>(sql: string, args: readonly SqlParam[] = []) => this.allSync<T>(sql, args),
      get: async <T>(sql: string, args: readonly SqlParam[] = []) => this.getSync<T>(sql, args),
      run: async (sql: string, args: readonly SqlParam[] = []) => this.runSync(sql, args),
    };
  }

  /** A prepared statement, prepared once per SQL text. */
  prepare(sql: string): Statement {
    let st = this.#statements.get(sql);
    if (!st) this.#statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  allSync<T>(sql: string, args: readonly SqlParam[] = []): T[] {
    return this.prepare(sql).all(...args) as T[];
  }

  getSync<T>(sql: string, args: readonly SqlParam[] = []): T | undefined {
    return this.prepare(sql).get(...args) as T | undefined;
  }

  runSync(sql: string, args: readonly SqlParam[] = []): number {
    return this.prepare(sql).run(...args).changes;
  }

  all<T>(sql: string, args: readonly SqlParam[] = []): Promise<T[]> {
    return this.#lock.held
      ? this.#lock.run(() => this.allSync<T>(sql, args))
      : this.#direct.all<T>(sql, args);
  }

  get<T>(sql: string, args: readonly SqlParam[] = []): Promise<T | undefined> {
    return this.#lock.held
      ? this.#lock.run(() => this.getSync<T>(sql, args))
      : this.#direct.get<T>(sql, args);
  }

  run(sql: string, args: readonly SqlParam[] = []): Promise<number> {
    return this.#lock.held ? this.#lock.run(() => this.runSync(sql, args)) : this.#direct.run(sql, args);
  }

  /**
   * Runs `fn` synchronously in its own transaction once no other transaction
   * is open (the share batches: no await inside, so nothing interleaves).
   */
  exclusive<T>(fn: () => T): Promise<T> {
    const tx = this.db.transaction(fn);
    // IMMEDIATE: the write lock is taken at BEGIN, so with another process
    // writing the same file the transaction waits (busy_timeout) instead of
    // failing when it would upgrade from reading to writing.
    return this.#lock.run(() => tx.immediate());
  }

  transaction<T>(fn: (q: SqlQueryable) => Promise<T>): Promise<T> {
    return this.#lock.run(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#direct);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.#lock.run(() => this.db.close());
  }
}

// ---- PostgreSQL ---------------------------------------------------------------

const OID_INT8 = 20;
const OID_NUMERIC = 1700;

/**
 * 64-bit integers and numerics come back as numbers (pg's default is
 * strings): every id, count, time in ms and amount in sats the store keeps
 * is below 2^53, as in SQLite.
 */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === OID_INT8 || oid === OID_NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

const numbered = new Map<string, string>();

/** `?` placeholders → `$1, $2, …` (none of the store's SQL has a `?` inside a string literal). */
export function numberPlaceholders(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, out);
  }
  return out;
}

function queryable(client: pg.Pool | pg.PoolClient): SqlQueryable {
  const query = (sql: string, args: readonly SqlParam[]) =>
    client.query({ text: numberPlaceholders(sql), values: args as unknown[] });
  return {
    all: async <T>(sql: string, args: readonly SqlParam[] = []) => (await query(sql, args)).rows as T[],
    get: async <T>(sql: string, args: readonly SqlParam[] = []) =>
      (await query(sql, args)).rows[0] as T | undefined,
    run: async (sql: string, args: readonly SqlParam[] = []) => (await query(sql, args)).rowCount ?? 0,
  };
}

export interface PostgresOptions {
  /** Connections kept open to the server (default 4). */
  max_connections?: number;
  /** Milliseconds to wait for a connection (default 10000). */
  connect_timeout_ms?: number;
}

export class PostgresEngine implements SqlEngine {
  readonly kind = 'postgres';
  readonly pool: pg.Pool;
  readonly #q: SqlQueryable;

  constructor(url: string, options: PostgresOptions = {}) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.max_connections ?? 4,
      connectionTimeoutMillis: options.connect_timeout_ms ?? 10_000,
      types: TYPES,
    });
    // An idle connection the server drops must not crash the process; the
    // pool replaces it at the next query.
    this.pool.on('error', () => {});
    this.#q = queryable(this.pool);
  }

  all<T>(sql: string, args?: readonly SqlParam[]): Promise<T[]> {
    return this.#q.all<T>(sql, args);
  }

  get<T>(sql: string, args?: readonly SqlParam[]): Promise<T | undefined> {
    return this.#q.get<T>(sql, args);
  }

  run(sql: string, args?: readonly SqlParam[]): Promise<number> {
    return this.#q.run(sql, args);
  }

  async transaction<T>(fn: (q: SqlQueryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await fn(queryable(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr;
      }
      throw err;
    } finally {
      // A connection whose rollback failed is in an unknown state: drop it.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** True for a `postgres://` or `postgresql://` URL (the store's PostgreSQL engine). */
export function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s);
}
