// The SQL engine the web server reads and writes the store through.
import type { Store } from '../store/index.js';
import type { SqlEngine } from '../store/sql.js';

/** The store's engine (the one its StoreStats reads through, so both share one connection and lock). */
export function engineOf(store: Store): SqlEngine {
  return store.stats.engine;
}
