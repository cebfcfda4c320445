// `strata pool` settings: the schema of config/pool.toml, loaded with the
// config layer; command-line flags override file values (see index.ts).
import {
  array,
  boolean,
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
import { DEFAULT_DUST_LIMIT_SATS, DEFAULT_MAX_OUTPUTS } from '../../store/pplns.js';
import { DEFAULT_CACHE_MB } from '../../store/db.js';
import { keyOrPath } from '../common/authority.js';
import { WEB_SCHEMA } from '../../web/config.js';

export const PAYOUT_MODES = ['pplns', 'solo'] as const;
export type PayoutMode = (typeof PAYOUT_MODES)[number];

export const POOL_SCHEMA = {
  listen_address: socketAddress({
    default: '0.0.0.0:34254',
    doc: 'where miners and proxies connect (Noise); port 0 = any free port',
  }),
  authority_public_key: keyOrPath({
    default: 'data/keys/pool-authority.pub',
    doc: 'authority public key (string or file); must match the secret key; miners pin it',
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
  network: network({ default: 'devnet', doc: 'chain whose addresses the pool pays' }),
  coinbase_reward_script: string({
    default: '',
    doc: 'pool payout: an address of the network or addr(<address>); takes the fee and unpaid amounts',
  }),
  pool_signature: string({ default: 'Strata', doc: 'pool tag in the coinbase scriptSig' }),
  server_id: integer({ default: 0, min: 0, max: 255, doc: 'first extranonce byte, unique per pool server' }),
  workers: integer({
    default: 1,
    min: 0,
    max: 256,
    doc: 'pool processes behind the mining port, sharing the database; 0 = one per core, 1 = a single process',
  }),
  shares_per_minute: number({ default: 6, min: 0.001, doc: 'vardiff aim per channel' }),
  share_batch_size: integer({ default: 10, min: 1, doc: 'accepted shares per SubmitShares.Success' }),
  max_past_jobs: integer({ default: 16, min: 1, max: 1024, doc: 'jobs per channel kept for late shares' }),
  extranonce_prefix_size: integer({
    default: 4,
    min: 2,
    max: 5,
    doc: 'extranonce bytes the pool assigns: server_id + channel index',
  }),
  default_rollable_extranonce_size: integer({
    default: 8,
    min: 0,
    max: 30,
    doc: 'rollable extranonce bytes for extended channels that ask for less',
  }),
  vardiff_interval: seconds({ default: 5, min: 0, doc: 'seconds between vardiff evaluations; 0 = off' }),
  payout_mode: oneOf(PAYOUT_MODES, {
    default: 'pplns',
    doc: 'pplns (accounts) or solo (address identities)',
  }),
  pool_fee_percent: number({ default: 0, min: 0, max: 100, doc: 'pool fee in percent of each block' }),
  pplns_window_factor: number({ default: 2, min: 0, doc: 'PPLNS window N = factor × network difficulty' }),
  max_coinbase_outputs: integer({
    default: DEFAULT_MAX_OUTPUTS,
    min: 1,
    max: 1000,
    doc: 'payout outputs per coinbase, the pool output included',
  }),
  dust_limit_sats: integer({
    default: Number(DEFAULT_DUST_LIMIT_SATS),
    min: 0,
    doc: 'smaller payouts are carried as credit',
  }),
  auto_create_accounts: boolean({ default: false, doc: 'create unknown accounts on first connection' }),
  block_confirmations: integer({ default: 100, min: 1, doc: 'confirmations before a block is confirmed' }),
  block_check_interval: seconds({ default: 30, min: 0.1, doc: 'seconds between block status checks' }),
  log_level: oneOf(LOG_LEVELS, { default: 'info', doc: 'log level' }),
  template_provider: table({
    address: socketAddress({ default: '127.0.0.1:8442', doc: 'the template provider (strata tp)' }),
    public_key: keyOrPath({
      default: 'data/keys/tp-authority.pub',
      doc: 'the template provider authority public key (string or file)',
    }),
    transport: oneOf(['noise', 'noise-unauthenticated', 'plain'] as const, {
      default: 'noise',
      doc: 'noise (pinned to public_key), noise-unauthenticated or plain',
    }),
  }),
  limits: table({
    max_connections: integer({
      default: 20_000,
      min: 1,
      max: 1_000_000,
      doc: 'connections to the mining port in total, handshaking ones included',
    }),
    max_connections_per_ip: integer({
      default: 1024,
      min: 1,
      doc: 'connections from one IP address (a farm of SV2 devices behind one NAT address counts as one)',
    }),
    allowed_ips: array(string(), {
      default: [],
      doc: 'addresses (or IPv4 CIDR ranges) exempt from the per-IP limit',
    }),
  }),
  job_declaration: table({
    enabled: boolean({
      default: false,
      doc: 'take custom jobs (SetCustomMiningJob) from job declarator clients; needs payout_mode = "pplns"',
    }),
    token_secret_file: path({
      default: 'data/keys/jd-token.key',
      doc: 'secret shared with the job declarator server (64 hex digits) that signs mining job tokens',
    }),
    allow_coinbase_only: boolean({
      default: true,
      doc: 'also take jobs with an allocated (coinbase-only) token, never declared to the JDS',
    }),
    min_pool_payout_percent: number({
      default: 100,
      min: 0,
      max: 100,
      doc: "least share of a custom coinbase's output value paid to coinbase_reward_script",
    }),
  }),
  database: table({
    path: path({ default: 'data/pool.db', doc: 'SQLite database file (when url is not set)' }),
    url: url({
      protocols: ['postgres', 'postgresql'],
      doc: 'PostgreSQL server instead of the SQLite file (postgres://user:password@host:port/database)',
    }),
    max_connections: integer({
      default: 4,
      min: 1,
      max: 100,
      doc: 'connections kept open to the PostgreSQL server',
    }),
    synchronous: oneOf(['NORMAL', 'FULL'] as const, {
      default: 'NORMAL',
      doc: 'NORMAL survives crashes; FULL also power loss',
    }),
    cache_mb: integer({
      default: DEFAULT_CACHE_MB,
      min: 1,
      max: 65_536,
      doc: 'SQLite only: most MiB of database pages kept in the pool process',
    }),
  }),
  web: WEB_SCHEMA,
  bitcoind: table({
    rpc_url: url({ doc: 'optional node JSON-RPC URL: direct submitblock and block status checks' }),
    rpc_user: string({ default: '', doc: 'RPC user; with rpc_password replaces the cookie file' }),
    rpc_password: string({ default: '', doc: 'RPC password' }),
    rpc_cookie_file: path({ doc: 'the node cookie file' }),
  }),
};

export type PoolConfig = ConfigOf<typeof POOL_SCHEMA>;

/** Loads the file (if any) with `overrides` (flag values keyed like the file) on top; throws ConfigError. */
export function loadPoolConfig(
  file: string | undefined,
  overrides: Record<string, unknown> = {},
): PoolConfig {
  return loadConfig(POOL_SCHEMA, file, overrides);
}
