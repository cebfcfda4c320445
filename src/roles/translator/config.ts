// `strata translator` settings: the schema of config/translator.toml. Key
// names follow the reference translator's file where the meaning is the
// same; command-line flags override file values (see index.ts).
import {
  array,
  boolean,
  integer,
  loadConfig,
  number,
  oneOf,
  seconds,
  string,
  table,
  tables,
  type ConfigOf,
} from '../../config/index.js';
import { LOG_LEVELS } from '../../log.js';
import { keyOrPath } from '../common/authority.js';

export const PORT_KINDS = ['asic', 'cpu'] as const;
export type PortKind = (typeof PORT_KINDS)[number];

export const TRANSLATOR_SCHEMA = {
  downstream_address: string({ default: '0.0.0.0', doc: 'IP address the SV1 port listens on' }),
  downstream_port: integer({ default: 34255, min: 0, max: 65535, doc: 'SV1 port; 0 = any free port' }),
  downstream_port_kind: oneOf(PORT_KINDS, {
    default: 'asic',
    doc: 'asic: unknown devices start at min_individual_miner_hashrate with whole numbers; cpu: at 0.001, fractions allowed',
  }),
  downstream_extranonce2_size: integer({
    default: 8,
    min: 2,
    max: 16,
    doc: 'extranonce2 bytes each miner rolls (cgminer-based firmware needs ≤ 8)',
  }),
  aggregate_channels: boolean({
    default: true,
    doc: 'true: one upstream channel shared by the miners (solo addresses get their own); false: one channel per miner',
  }),
  failback_secs: seconds({
    default: 60,
    min: 0,
    doc: 'after a failover, go back to a pool earlier in [[upstreams]] once it has been up this long; 0 = stay',
  }),
  share_ack_timeout_secs: seconds({
    default: 5,
    min: 0.1,
    doc: "a forwarded share's reply waits for the pool's acknowledgement this long at most, then answers accepted (counted as unconfirmed)",
  }),
  handshake_timeout_secs: seconds({
    default: 30,
    min: 1,
    doc: 'a miner that is not subscribed and authorized by then is disconnected',
  }),
  idle_timeout_secs: seconds({
    default: 900,
    min: 1,
    doc: 'a miner that sends nothing for this long is disconnected',
  }),
  no_work_timeout_secs: seconds({
    default: 90,
    min: 1,
    doc: 'with no valid upstream work for this long, miners are disconnected so they fail over',
  }),
  ping_interval_secs: seconds({
    default: 20,
    min: 1,
    doc: 'while upstream work is missing, miners get mining.ping this often',
  }),
  verify_accounts: boolean({
    default: true,
    doc: "at mining.authorize, ask the pool whether it knows the miner's account (a probe channel); false accepts every name",
  }),
  supported_extensions: array(integer({ min: 0, max: 0xffff }), {
    default: [0x0002],
    doc: 'SV2 extensions requested from the pool (0x0002: each share names its miner)',
  }),
  required_extensions: array(integer({ min: 0, max: 0xffff }), {
    default: [],
    doc: 'extensions a pool must support; a pool without one of them is left for the next',
  }),
  workers: integer({
    default: 0,
    min: 0,
    max: 256,
    doc: 'translator processes sharing the SV1 ports, each with its own upstream channel; 0 = one per core, 1 = a single process',
  }),
  summary_interval_secs: seconds({ default: 60, min: 0, doc: 'period of the summary log line; 0 = off' }),
  log_level: oneOf(LOG_LEVELS, { default: 'info', doc: 'log level' }),
  downstream_difficulty_config: table({
    min_individual_miner_hashrate: number({
      default: 10_000_000_000_000,
      min: 1,
      doc: 'hashrate (H/s) assumed for a new miner on an ASIC port whose user agent is not known',
    }),
    shares_per_minute: number({ default: 6, min: 0.01, doc: 'share rate per miner that vardiff aims for' }),
    enable_vardiff: boolean({
      default: true,
      doc: "false: the pool's target for the miner's channel is its difficulty (SetTarget → set_difficulty)",
    }),
    job_keepalive_interval_secs: integer({
      default: 30,
      min: 0,
      doc: 're-send the current job (ntime bumped) after this long without a new one; 0 = off',
    }),
  }),
  limits: table({
    max_connections: integer({ default: 20_000, min: 1, max: 65_536, doc: 'SV1 connections in total' }),
    max_connections_per_ip: integer({ default: 64, min: 1, doc: 'SV1 connections from one IP address' }),
    allowed_ips: array(string(), {
      default: [],
      doc: 'addresses (or IPv4 CIDR ranges) exempt from the per-IP limit: farms behind NAT',
    }),
    max_submits_per_second: number({
      default: 50,
      min: 0.1,
      doc: 'mining.submit rate per connection (twice this in a burst); above it the miner is disconnected',
    }),
    invalid_shares_fresh_work: integer({
      default: 20,
      min: 1,
      doc: 'consecutive invalid shares before the miner gets fresh work',
    }),
    invalid_shares_reconnect: integer({
      default: 50,
      min: 1,
      doc: 'consecutive invalid shares before the miner is told to reconnect and disconnected',
    }),
  }),
  downstream_ports: tables(
    {
      address: string({ default: '', doc: 'IP address; empty = downstream_address' }),
      port: integer({ required: true, min: 0, max: 65535, doc: 'SV1 port; 0 = any free port' }),
      kind: oneOf(PORT_KINDS, { default: 'asic', doc: 'asic or cpu' }),
    },
    { doc: 'more SV1 ports, each with its own kind' },
  ),
  upstreams: tables(
    {
      address: string({ required: true, doc: 'SV2 pool IP address or host name' }),
      port: integer({ default: 34254, min: 1, max: 65535, doc: 'SV2 pool port' }),
      authority_pubkey: keyOrPath({ required: true, doc: "the pool's authority public key (pinned)" }),
      user_identity: string({
        default: 'strata-translator',
        doc: "user_identity of the shared channel: credited with work whose miner's account the pool does not know",
      }),
    },
    { doc: 'SV2 pools in order of preference', minItems: 1, required: true },
  ),
};

export type TranslatorConfig = ConfigOf<typeof TRANSLATOR_SCHEMA>;
export type UpstreamConfig = TranslatorConfig['upstreams'][number];

/** Loads the file (if any) with `overrides` on top; throws ConfigError. */
export function loadTranslatorConfig(
  file: string | undefined,
  overrides: Record<string, unknown> = {},
): TranslatorConfig {
  return loadConfig(TRANSLATOR_SCHEMA, file, overrides);
}
