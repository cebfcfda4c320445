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

export type SqliteDatabase = Database.Database;
export type Synchronous = 'NORMAL' | 'FULL';

export interface OpenDatabaseOptions {
  /** 'NORMAL' (default) survives process crashes; 'FULL' also power loss. */
  synchronous?: Synchronous;
  /** Milliseconds to wait on a lock held by another connection (default 5000). */
  busy_timeout_ms?: number;
  readonly?: boolean;
}

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const db = new Database(path, { readonly: options.readonly ?? false });
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busy_timeout_ms ?? 5000))}`);
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

/** Applies every migration newer than the database's version; returns the versions applied. */
export function migrate(db: SqliteDatabase, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(
    `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
  );
  const current = schemaVersion(db);
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this program knows (${latest})`);
  }
  const applied: number[] = [];
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const m of sorted) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
    })();
    applied.push(m.version);
  }
  return applied;
}
