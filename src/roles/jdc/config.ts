// `strata jdc` settings: the schema of config/jdc.toml, loaded with the
// config layer; command-line flags override file values (see index.ts).
import {
  integer,
  loadConfig,
  network,
  number,
  oneOf,
  seconds,
  socketAddress,
  string,
  table,
  tables,
  type ConfigOf,
} from '../../config/index.js';
import { LOG_LEVELS } from '../../log.js';
import { keyOrPath } from '../common/authority.js';

export const JD_MODES = ['full-template', 'coinbase-only'] as const;
export type JdMode = (typeof JD_MODES)[number];

export const JDC_SCHEMA = {
  listen_address: socketAddress({
    default: '0.0.0.0:34265',
    doc: 'where downstream miners and translators connect (Noise); port 0 = any free port',
  }),
  authority_public_key: keyOrPath({
    default: 'data/keys/jdc-authority.pub',
    doc: "the JDC's own authority public key (string or file); its downstreams pin it",
  }),
  authority_secret_key: keyOrPath({
    default: 'data/keys/jdc-authority.key',
    doc: 'authority secret key (string or file) that signs each downstream connection certificate',
  }),
  cert_validity_sec: integer({
    default: 3600,
    min: 1,
    doc: 'lifetime of the server certificate; a new static key and certificate after half of it',
  }),
  network: network({ default: 'devnet', doc: 'chain whose addresses coinbase_reward_script is of' }),
  mode: oneOf(JD_MODES, {
    default: 'full-template',
    doc: 'full-template: declare the transactions to the JDS; coinbase-only: the pool sees only the coinbase',
  }),
  coinbase_reward_script: string({
    default: '',
    doc: 'solo mining payout when no pool works: an address of the network or addr(<address>); required',
  }),
  jdc_signature: string({ default: 'Strata JDC', doc: 'miner tag in the coinbase scriptSig' }),
  user_identity: string({
    default: 'strata-jdc',
    doc: 'user_identity of the pool channel and the JDS token requests (an account of the pool)',
  }),
  upstream_extranonce_size: integer({
    default: 16,
    min: 4,
    max: 28,
    doc: 'extranonce bytes asked of the pool; the downstream channels share them (prefix + rollable)',
  }),
  downstream_extranonce_prefix_size: integer({
    default: 4,
    min: 2,
    max: 5,
    doc: 'extranonce bytes the JDC assigns each downstream channel (the rest of upstream_extranonce_size they roll)',
  }),
  shares_per_minute: number({ default: 6, min: 0.001, doc: 'vardiff aim per downstream channel' }),
  vardiff_interval: seconds({ default: 5, min: 0, doc: 'seconds between vardiff evaluations; 0 = off' }),
  max_held_shares: integer({
    default: 4096,
    min: 0,
    doc: 'shares kept while the pool has not acknowledged their job yet (optimistic mining); the oldest go first',
  }),
  job_ack_timeout: seconds({
    default: 30,
    min: 1,
    doc: 'a custom job neither declared nor acknowledged within this long makes the JDC fall back',
  }),
  retry_interval: seconds({
    default: 30,
    min: 1,
    doc: 'while on a later upstream or solo, how often the earlier ones are tried again',
  }),
  log_level: oneOf(LOG_LEVELS, { default: 'info', doc: 'log level' }),
  template_provider: table({
    address: socketAddress({ default: '127.0.0.1:8442', doc: "the JDC's own template provider" }),
    public_key: keyOrPath({
      default: 'data/keys/tp-authority.pub',
      doc: 'the template provider authority public key (string or file)',
    }),
    transport: oneOf(['noise', 'noise-unauthenticated', 'plain'] as const, {
      default: 'noise',
      doc: 'noise (pinned to public_key), noise-unauthenticated or plain',
    }),
  }),
  upstreams: tables(
    {
      pool_address: socketAddress({ required: true, doc: 'the pool (Mining Protocol, Noise)' }),
      jds_address: socketAddress({ required: true, doc: "the pool's job declarator server" }),
      authority_pubkey: keyOrPath({
        required: true,
        doc: "the pool's authority public key (string or file), pinned for both connections",
      }),
      jds_authority_pubkey: keyOrPath({
        default: '',
        doc: "the JDS's authority public key when it is not the pool's",
      }),
    },
    { doc: 'pool + JDS pairs in order of preference; none = solo mining only', minItems: 0 },
  ),
};

export type JdcConfig = ConfigOf<typeof JDC_SCHEMA>;
export type JdcUpstreamConfig = JdcConfig['upstreams'][number];

/** Loads the file (if any) with `overrides` on top; throws ConfigError. */
export function loadJdcConfig(file: string | undefined, overrides: Record<string, unknown> = {}): JdcConfig {
  return loadConfig(JDC_SCHEMA, file, overrides);
}
