// `strata pool account add|list`: account administration straight on the
// pool's database (the web page's sign-up does the same for users).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { networkByName } from '../../bitcoin/index.js';
import { Store } from '../../store/index.js';
import type { PoolConfig } from './config.js';
import { scriptOfAddress } from './identity.js';

export interface AccountRow {
  name: string;
  payout_address: string | null;
  created_at: string;
}

/** The bitcoin-layer network of a configured network name (the devnet uses regtest addresses). */
export function poolNetwork(cfg: Pick<PoolConfig, 'network'>) {
  return networkByName(cfg.network === 'devnet' ? 'regtest' : cfg.network);
}

/** Where the pool keeps its data, as shown to operators: the PostgreSQL URL without its password, or the SQLite file. */
export function storeLocation(cfg: PoolConfig): string {
  const u = cfg.database.url;
  if (u === undefined) return cfg.database.path;
  return u.replace(/^([a-z]+:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

/** Opens the pool's store: the PostgreSQL server of `[database] url`, else the SQLite file of `path`. */
export function openPoolStore(cfg: PoolConfig, opts: { sharedWriters?: boolean } = {}): Promise<Store> {
  const options = {
    // Several pool processes (workers) write the database: each sees all their shares.
    shared_writers: opts.sharedWriters ?? false,
    synchronous: cfg.database.synchronous,
    cache_mb: cfg.database.cache_mb,
    pplns_window_factor: cfg.pplns_window_factor,
    postgres: { max_connections: cfg.database.max_connections },
  };
  const opened =
    cfg.database.url !== undefined
      ? Store.open(cfg.database.url, options)
      : (mkdirSync(dirname(cfg.database.path), { recursive: true }), Store.open(cfg.database.path, options));
  return opened.catch((err: unknown) => {
    throw new Error(
      `cannot open the pool's database ${storeLocation(cfg)}: ${err instanceof Error ? err.message : String(err)}`,
    );
  });
}

/** Creates an account; throws when it exists or the payout address is not of the network. */
export async function addAccount(
  cfg: PoolConfig,
  name: string,
  payout_address?: string,
): Promise<AccountRow> {
  if (name === '' || name.includes('.')) {
    throw new Error(
      `account name "${name}" must be non-empty and without "." (miners log in as account.worker)`,
    );
  }
  if (payout_address !== undefined && scriptOfAddress(payout_address, poolNetwork(cfg)) === null) {
    throw new Error(`payout address ${payout_address} is not an address of ${cfg.network}`);
  }
  const store = await openPoolStore(cfg);
  try {
    if (await store.getAccount(name)) throw new Error(`account ${name} already exists`);
    await store.ensureAccount(name, payout_address === undefined ? {} : { payout_address });
    return toRow((await store.getAccount(name))!);
  } finally {
    await store.close();
  }
}

export async function listAccounts(cfg: PoolConfig): Promise<AccountRow[]> {
  const store = await openPoolStore(cfg);
  try {
    const rows = await store.engine.all<{ name: string; payout_address: string | null; created_at: number }>(
      'SELECT name, payout_address, created_at FROM accounts ORDER BY name',
    );
    return rows.map(toRow);
  } finally {
    await store.close();
  }
}

function toRow(a: { name: string; payout_address: string | null; created_at: number }): AccountRow {
  return { name: a.name, payout_address: a.payout_address, created_at: new Date(a.created_at).toISOString() };
}
