// `strata pool account add|list`: account administration straight on the
// pool's database file (the web page's sign-up does the same for users).
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

export function openPoolStore(cfg: PoolConfig): Store {
  mkdirSync(dirname(cfg.database.path), { recursive: true });
  return Store.open(cfg.database.path, {
    synchronous: cfg.database.synchronous,
    pplns_window_factor: cfg.pplns_window_factor,
  });
}

/** Creates an account; throws when it exists or the payout address is not of the network. */
export function addAccount(cfg: PoolConfig, name: string, payout_address?: string): AccountRow {
  if (name === '' || name.includes('.')) {
    throw new Error(
      `account name "${name}" must be non-empty and without "." (miners log in as account.worker)`,
    );
  }
  if (payout_address !== undefined && scriptOfAddress(payout_address, poolNetwork(cfg)) === null) {
    throw new Error(`payout address ${payout_address} is not an address of ${cfg.network}`);
  }
  const store = openPoolStore(cfg);
  try {
    if (store.getAccount(name)) throw new Error(`account ${name} already exists`);
    store.ensureAccount(name, payout_address === undefined ? {} : { payout_address });
    return toRow(store.getAccount(name)!);
  } finally {
    store.close();
  }
}

export function listAccounts(cfg: PoolConfig): AccountRow[] {
  const store = openPoolStore(cfg);
  try {
    const rows = store.db
      .prepare('SELECT name, payout_address, created_at FROM accounts ORDER BY name')
      .all() as { name: string; payout_address: string | null; created_at: number }[];
    return rows.map(toRow);
  } finally {
    store.close();
  }
}

function toRow(a: { name: string; payout_address: string | null; created_at: number }): AccountRow {
  return { name: a.name, payout_address: a.payout_address, created_at: new Date(a.created_at).toISOString() };
}
