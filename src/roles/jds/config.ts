// `strata jds` settings: the schema of config/jds.toml, loaded with the
// config layer; command-line flags override file values (see index.ts).
import {
  integer,
  loadConfig,
  network,
  number,
  oneOf,
  path,
  seconds,
  socketAddress,
  string,
  table,
  url,
  type ConfigOf,
} from '../../config/index.js';
import { LOG_LEVELS } from '../../log.js';
import { keyOrPath } from '../common/authority.js';

export const JDS_SCHEMA = {
  listen_address: socketAddress({
    default: '0.0.0.0:34264',
    doc: 'where job declarator clients connect (Noise); port 0 = any free port',
  }),
  authority_public_key: keyOrPath({
    default: 'data/keys/pool-authority.pub',
    doc: "authority public key (string or file); by default the pool's, so miners pin one key",
  }),
  authority_secret_key: keyOrPath({
    default: 'data/keys/pool-authority.key',
    doc: 'authority secret key (string or file) that signs each connection certificate',
  }),
  cert_validity_sec: integer({
    default: 3600,
    min: 1,
    doc: 'lifetime of the server certificate; a new static key and certificate after half of it',
  }),
  network: network({ default: 'devnet', doc: 'chain the node must be on and whose addresses are paid' }),
  coinbase_reward_script: string({
    default: '',
    doc: 'the pool payout output: an address of the network or addr(<address>); required',
  }),
  token_secret_file: path({
    default: 'data/keys/jd-token.key',
    doc: 'secret the tokens are signed with (64 hex digits), shared with the pool',
  }),
  allocated_token_lifetime: seconds({
    default: 600,
    min: 1,
    max: 86400,
    doc: 'how long an AllocateMiningJobToken.Success token can be declared with',
  }),
  declared_token_lifetime: seconds({
    default: 300,
    min: 1,
    max: 86400,
    doc: 'how long a DeclareMiningJob.Success token can be used on the pool',
  }),
  token_rate_per_sec: number({
    default: 1,
    min: 0.001,
    doc: 'AllocateMiningJobToken requests granted per second and connection, after the burst',
  }),
  token_burst: integer({ default: 8, min: 1, doc: 'AllocateMiningJobToken requests granted at once' }),
  max_outstanding_tokens: integer({
    default: 16,
    min: 1,
    doc: 'allocated tokens per connection not yet declared with (nor expired)',
  }),
  max_refused_token_requests: integer({
    default: 8,
    min: 1,
    doc: 'refused AllocateMiningJobToken requests in a row before the connection is closed',
  }),
  min_pool_payout_percent: number({
    default: 100,
    min: 0,
    max: 100,
    doc: 'share of the subsidy plus known fees the pool payout output must carry',
  }),
  mempool_poll_secs: seconds({ default: 2, min: 0.1, doc: "seconds between reads of the node's mempool" }),
  max_mempool_txs: integer({
    default: 50000,
    min: 0,
    doc: 'transactions kept in the mempool mirror (highest fee rate first)',
  }),
  max_declared_transactions: integer({
    default: 20000,
    min: 0,
    max: 65535,
    doc: 'transactions a DeclareMiningJob may list',
  }),
  log_level: oneOf(LOG_LEVELS, { default: 'info', doc: 'log level' }),
  bitcoind: table({
    rpc_url: url({ default: 'http://127.0.0.1:18443', doc: 'Bitcoin Core (or devnet) JSON-RPC URL' }),
    rpc_user: string({ default: '', doc: 'RPC user; with rpc_password replaces the cookie file' }),
    rpc_password: string({ default: '', doc: 'RPC password' }),
    rpc_cookie_file: path({ default: 'data/devnet/.cookie', doc: 'the node cookie file' }),
  }),
};

export type JdsConfig = ConfigOf<typeof JDS_SCHEMA>;

/** Loads the file (if any) with `overrides` (flag values keyed like the file) on top; throws ConfigError. */
export function loadJdsConfig(file: string | undefined, overrides: Record<string, unknown> = {}): JdsConfig {
  return loadConfig(JDS_SCHEMA, file, overrides);
}
