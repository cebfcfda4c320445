// The SQL engine the web server reads and writes the store through.
import type { Store } from '../store/index.js';
import type { SqlEngine } from '../store/sql.js';

/** The store's engine: the web page shares its connection (SQLite) or pool (PostgreSQL) and its lock. */
export function engineOf(store: Store): SqlEngine {
  return store.engine;
}
