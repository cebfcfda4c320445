// devnet settings: the schema of config/devnet.toml (defaults, docs, checks)
// loaded with the config layer; command-line flags override file values.
import {
  integer,
  loadConfig,
  number,
  oneOf,
  path,
  seconds,
  string,
  type ConfigOf,
} from '../../config/index.js';
import { LOG_LEVELS } from '../../log.js';

export const DEVNET_SCHEMA = {
  rpc_bind: string({ default: '127.0.0.1', doc: 'address the JSON-RPC server listens on' }),
  rpc_port: integer({ default: 18443, min: 0, max: 65535, doc: 'JSON-RPC port; 0 = any free port' }),
  rpc_user: string({ default: '', doc: 'RPC user; with rpc_password replaces the cookie file' }),
  rpc_password: string({ default: '', doc: 'RPC password' }),
  data_dir: path({ default: 'data/devnet', doc: 'blocks file and .cookie; relative to the config file' }),
  synthetic_tx_per_minute: number({
    default: 0,
    min: 0,
    doc: 'synthetic mempool transactions per minute; 0 = off',
  }),
  max_mempool_txs: integer({ default: 5000, min: 0, doc: 'mempool size limit in transactions' }),
  longpoll_max_wait_secs: seconds({
    default: 60,
    min: 0,
    doc: 'answer a current longpoll after this long anyway',
  }),
  log_level: oneOf(LOG_LEVELS, { default: 'info', doc: 'log level' }),
};

export type DevnetConfig = ConfigOf<typeof DEVNET_SCHEMA>;

/** Loads the file (if any) with `overrides` (flag values keyed like the file) on top; throws ConfigError. */
export function loadDevnetConfig(
  file: string | undefined,
  overrides: Record<string, unknown> = {},
): DevnetConfig {
  return loadConfig(DEVNET_SCHEMA, file, overrides);
}
