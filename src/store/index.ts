// Persistence for the pool (SQLite by default, PostgreSQL to scale out): accounts, workers, shares, stats, blocks, payouts, PPLNS.
export * from './types.js';
export {
  openDatabase,
  migrate,
  migratePostgres,
  postgresSchemaVersion,
  schemaVersion,
  type OpenDatabaseOptions,
  type SqliteDatabase,
  type Synchronous,
} from './db.js';
export { MIGRATIONS, type Migration } from './schema.js';
export { Store, foldName, storedName, type StoreOptions, type PplnsWindowResult } from './store.js';
export { BatchWriter, type BatchWriterOptions } from './writer.js';
export { RunningWindow, type WindowShare, type WindowSnapshot } from './window.js';
export { Ledger, offChain, type BlockState } from './ledger.js';
export * from './stats.js';
export * from './pplns.js';
export {
  SerialLock,
  SqliteEngine,
  PostgresEngine,
  isPostgresUrl,
  numberPlaceholders,
  type SqlEngine,
  type SqlQueryable,
  type SqlParam,
  type EngineKind,
  type PostgresOptions,
} from './sql.js';
export { POSTGRES_MIGRATIONS } from './schema-postgres.js';
