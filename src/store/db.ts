// Opening the SQLite file: WAL journal, the chosen durability level, and the
// schema migrations.
//
// Durability: in WAL mode every commit is appended to the -wal file before
// COMMIT returns. With synchronous = NORMAL that write is not fsync'ed, so a
// committed transaction survives the process being killed (SIGKILL, crash):
// the bytes are in the operating system's cache. A power loss or kernel
// crash may lose the last transactions committed since the previous
// checkpoint unless synchronous = FULL, which fsyncs the WAL on every commit
// (slower: one fsync per share batch).
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './schema.js';
import { POSTGRES_MIGRATIONS } from './schema-postgres.js';
import type { PostgresEngine, SqlEngine } from './sql.js';

export type SqliteDatabase = Database.Database;
export type Synchronous = 'NORMAL' | 'FULL';

export interface OpenDatabaseOptions {
  /** 'NORMAL' (default) survives process crashes; 'FULL' also power loss. */
  synchronous?: Synchronous;
  /** Milliseconds to wait on a lock held by another connection (default 5000). */
  busy_timeout_ms?: number;
  /**
   * Most MiB of database pages the connection keeps in memory (default
   * DEFAULT_CACHE_MB). The cache fills as the file grows and stays at this
   * bound; pages past it come from the operating system's file cache.
   */
  cache_mb?: number;
  readonly?: boolean;
}

/** The page cache bound of a connection, in MiB (SQLite's own default is 2; the driver's 16). */
export const DEFAULT_CACHE_MB = 4;

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const db = new Database(path, { readonly: options.readonly ?? false });
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busy_timeout_ms ?? 5000))}`);
    // Negative: a size in KiB rather than in pages.
    db.pragma(`cache_size = ${-Math.max(1, Math.round((options.cache_mb ?? DEFAULT_CACHE_MB) * 1024))}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      migrate(db);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function schemaVersion(db: SqliteDatabase): number {
  const table = db
    .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`)
    .get();
  if (!table) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Applies every migration the database has not recorded, in version order
 * (also one numbered below a version already applied); returns the versions
 * applied. Foreign keys are off while migrations run, so one can rebuild a
 * table others refer to; each is checked with foreign_key_check before it
 * commits.
 */
export function migrate(db: SqliteDatabase, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(
    `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
  );
  const have = new Set(
    (db.prepare('SELECT version FROM schema_version').all() as { version: number }[]).map((r) => r.version),
  );
  const todo = pendingMigrations(have, migrations);
  if (todo.length === 0) return [];
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) === 1;
  if (foreignKeys) db.pragma('foreign_keys = OFF');
  const applied: number[] = [];
  try {
    for (const m of todo) {
      db.transaction(() => {
        db.exec(m.sql);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0)
          throw new Error(`migration ${m.version} breaks ${broken.length} foreign key reference(s)`);
        db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(
          m.version,
          Date.now(),
        );
      })();
      applied.push(m.version);
    }
  } finally {
    if (foreignKeys) db.pragma('foreign_keys = ON');
  }
  return applied;
}

/** The migrations not in `have`, in version order; refuses a database newer than this program. */
function pendingMigrations(have: ReadonlySet<number>, migrations: readonly Migration[]): Migration[] {
  const known = new Set(migrations.map((m) => m.version));
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  for (const v of have) {
    if (v > latest)
      throw new Error(`database schema version ${v} is newer than this program knows (${latest})`);
    if (!known.has(v)) throw new Error(`database schema version ${v} is unknown to this program`);
  }
  return [...migrations].filter((m) => !have.has(m.version)).sort((a, b) => a.version - b.version);
}

/** Any 64-bit key, the same for every pool process: migrations run one process at a time. */
const MIGRATION_LOCK = 0x53_5452_4154_02; // 'STRAT' 02

/**
 * PostgreSQL: applies the migrations the database has not recorded, all in
 * one transaction under an advisory lock, so pool processes starting together
 * on one database migrate it once. Returns the versions applied.
 */
export async function migratePostgres(
  engine: PostgresEngine,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  return engine.transaction(async (q) => {
    await q.run('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
    await q.run(
      'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const have = new Set(
      (await q.all<{ version: number }>('SELECT version FROM schema_version')).map((r) => r.version),
    );
    const todo = pendingMigrations(have, migrations);
    for (const m of todo) {
      await q.run(m.sql);
      await q.run('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)', [m.version, Date.now()]);
    }
    return todo.map((m) => m.version);
  });
}

/** Schema version of a PostgreSQL database (0: none). */
export async function postgresSchemaVersion(engine: SqlEngine): Promise<number> {
  const table = await engine.get<{ t: string | null }>(`SELECT to_regclass('schema_version')::text AS t`);
  if (!table?.t) return 0;
  const row = await engine.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
  return row?.v ?? 0;
}
