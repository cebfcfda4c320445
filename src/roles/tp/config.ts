// `strata tp` settings: the schema of config/tp.toml, loaded with the config
// layer; command-line flags override file values (see index.ts).
import {
  integer,
  loadConfig,
  network,
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

export const TP_SCHEMA = {
  listen_address: socketAddress({
    default: '0.0.0.0:8442',
    doc: 'where TDP clients connect (Noise); port 0 = any free port',
  }),
  authority_public_key: keyOrPath({
    default: 'data/keys/tp-authority.pub',
    doc: 'authority public key (string or file); must match the secret key; clients pin it',
  }),
  authority_secret_key: keyOrPath({
    default: 'data/keys/tp-authority.key',
    doc: 'authority secret key (string or file) that signs each connection certificate',
  }),
  cert_validity_sec: integer({
    default: 3600,
    min: 1,
    doc: 'lifetime of the server certificate; a new static key and certificate after half of it',
  }),
  network: network({ default: 'devnet', doc: 'chain the node must be on; checked at start' }),
  fee_threshold: integer({
    default: 1000,
    min: 0,
    doc: 'sats the template fees must rise by before a new template on the same tip',
  }),
  min_interval: seconds({ default: 5, min: 0, doc: 'seconds between templates on the same tip' }),
  node_reserved_weight: integer({
    default: 8000,
    min: 0,
    doc: 'weight units the node keeps free for header and coinbase (Core blockreservedweight)',
  }),
  log_level: oneOf(LOG_LEVELS, { default: 'info', doc: 'log level' }),
  bitcoind: table({
    rpc_url: url({ default: 'http://127.0.0.1:18443', doc: 'Bitcoin Core (or devnet) JSON-RPC URL' }),
    rpc_user: string({ default: '', doc: 'RPC user; with rpc_password replaces the cookie file' }),
    rpc_password: string({ default: '', doc: 'RPC password' }),
    rpc_cookie_file: path({ default: 'data/devnet/.cookie', doc: 'the node cookie file' }),
    liveness_interval: seconds({
      default: 30,
      min: 0,
      doc: 'while a longpoll waits, probe the node this often; no answer in 10 s drops the longpoll (0 = off)',
    }),
  }),
};

export type TpConfig = ConfigOf<typeof TP_SCHEMA>;

/** Loads the file (if any) with `overrides` (flag values keyed like the file) on top; throws ConfigError. */
export function loadTpConfig(file: string | undefined, overrides: Record<string, unknown> = {}): TpConfig {
  return loadConfig(TP_SCHEMA, file, overrides);
}
