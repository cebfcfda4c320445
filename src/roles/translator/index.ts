// `strata translator`: Stratum V1 firmware mining on an SV2 pool, as a CLI
// sub-command. The SV1 side listens on one or more ports (each an ASIC or a
// CPU port); the SV2 side is an ordered list of pools with failover.
import type { Command } from 'commander';
import { createLogger } from '../../log.js';
import { upstreamSecurity } from '../common/authority.js';
import { addConfigFlags, flagOverrides, type FlagRow } from '../common/cli-flags.js';
import { runUntilSignal } from '../common/shutdown.js';
import { loadTranslatorConfig, type TranslatorConfig } from './config.js';
import { Translator, type TranslatorOptions } from './translator.js';
import { runTranslatorWorkers, workerCount } from './workers.js';

export { TRANSLATOR_SCHEMA, loadTranslatorConfig } from './config.js';
export type { TranslatorConfig, UpstreamConfig, PortKind } from './config.js';
export { Translator, difficultyForHashrate, hashrateForDifficulty } from './translator.js';
export type { TranslatorOptions, ListenSpec, BoundPort } from './translator.js';
export { TranslatorMetrics } from './metrics.js';
export { TranslatorPrimary, mergeSummaries, runTranslatorWorkers, workerCount } from './workers.js';

export const TRANSLATOR_FLAGS: readonly FlagRow[] = [
  ['downstream_address', '--downstream-address <ip>', 'IP address the SV1 port listens on'],
  ['downstream_port', '--downstream-port <port>', 'SV1 port; 0 = any free port', 'number'],
  [
    'downstream_port_kind',
    '--downstream-port-kind <kind>',
    'asic (unknown devices: whole difficulties) or cpu (fractions)',
  ],
  ['downstream_extranonce2_size', '--extranonce2-size <bytes>', 'extranonce2 bytes per miner', 'number'],
  [
    'aggregate_channels',
    '--aggregate-channels <bool>',
    'one shared upstream channel (true) or one per miner',
    'boolean',
  ],
  [
    'failback_secs',
    '--failback <seconds>',
    'return to an earlier pool once it has been up this long; 0 = stay',
    'number',
  ],
  [
    'share_ack_timeout_secs',
    '--share-ack-timeout <seconds>',
    "longest wait for the pool's acknowledgement of a forwarded share before answering the miner",
    'number',
  ],
  [
    'upstreams[0].authority_pubkey',
    '--upstream-authority-pubkey <key-or-file>',
    "first pool's authority public key",
  ],
  ['upstreams[0].user_identity', '--user-identity <name>', 'user_identity on the first pool'],
  [
    'downstream_difficulty_config.shares_per_minute',
    '--shares-per-minute <n>',
    'vardiff share rate per miner',
    'number',
  ],
  [
    'downstream_difficulty_config.enable_vardiff',
    '--enable-vardiff <bool>',
    "per-miner vardiff on, or off: the pool's target is the difficulty",
    'boolean',
  ],
  [
    'downstream_difficulty_config.min_individual_miner_hashrate',
    '--min-miner-hashrate <hs>',
    'hashrate assumed for an unknown device on an ASIC port',
    'number',
  ],
  [
    'no_work_timeout_secs',
    '--no-work-timeout <seconds>',
    'disconnect miners after this long without work',
    'number',
  ],
  [
    'verify_accounts',
    '--verify-accounts <bool>',
    "check each miner's account with the pool at authorize",
    'boolean',
  ],
  [
    'workers',
    '--workers <n>',
    'translator processes sharing the SV1 ports (each its own upstream channel); 0 = one per core',
    'number',
  ],
  ['handshake_timeout_secs', '--handshake-timeout <seconds>', 'time to subscribe and authorize', 'number'],
  ['log_level', '--log-level <level>', 'fatal|error|warn|info|debug|trace|silent'],
];

/**
 * `--upstream host:port` replaces the file's [[upstreams]] with that one pool
 * (its key and identity from the two flags that follow); without it those
 * two flags change the file's first entry.
 */
function upstreamOverrides(
  raw: Record<string, unknown>,
  flags: Record<string, unknown>,
): Record<string, unknown> {
  const v = raw.upstream;
  if (typeof v !== 'string') return flags;
  const out = { ...flags };
  const entry: Record<string, unknown> = {};
  const m = /^(.*):(\d{1,5})$/.exec(v.trim());
  entry.address = m === null ? v : m[1]!.replace(/^\[(.*)\]$/, '$1');
  if (m !== null) entry.port = Number(m[2]);
  for (const key of ['authority_pubkey', 'user_identity']) {
    const dotted = `upstreams[0].${key}`;
    if (out[dotted] !== undefined) entry[key] = out[dotted];
    delete out[dotted];
  }
  out.upstreams = [entry];
  return out;
}

export function registerTranslator(program: Command): void {
  const cmd = program
    .command('translator')
    .description('SV1 to SV2 translator: Stratum V1 miners (ASIC firmware, CPU miners) mining on SV2 pools')
    .option('-c, --config <file>', 'TOML settings file (see config/translator.toml); flags override it')
    .option('--upstream <host:port>', 'the SV2 pool to use instead of the [[upstreams]] list of the file');
  addConfigFlags(cmd, TRANSLATOR_FLAGS);
  cmd.action(async (raw: Record<string, unknown>) => {
    const overrides = upstreamOverrides(raw, flagOverrides(TRANSLATOR_FLAGS, raw));
    const cfg = loadTranslatorConfig(raw.config as string | undefined, overrides);
    const workers = workerCount(cfg.workers);
    if (workers > 1) {
      // Key files and other settings are checked here, before any worker starts.
      translatorOptions(cfg, createLogger({ role: 'translator', level: 'silent' }));
      await runTranslatorWorkers(cfg, workers);
    } else {
      await runTranslator(cfg);
    }
  });
}

/** Translator options from a checked config. */
export function translatorOptions(
  cfg: TranslatorConfig,
  logger: TranslatorOptions['logger'],
): TranslatorOptions {
  const d = cfg.downstream_difficulty_config;
  return {
    listen: [
      { address: cfg.downstream_address, port: cfg.downstream_port, kind: cfg.downstream_port_kind },
      ...cfg.downstream_ports.map((p) => ({
        address: p.address === '' ? cfg.downstream_address : p.address,
        port: p.port,
        kind: p.kind,
      })),
    ],
    upstreams: cfg.upstreams.map((u) => ({
      host: u.address,
      port: u.port,
      name: `${u.address}:${u.port}`,
      security: upstreamSecurity('noise', u.authority_pubkey),
      user_identity: u.user_identity,
    })),
    extranonce2Size: cfg.downstream_extranonce2_size,
    aggregate: cfg.aggregate_channels,
    minHashrate: d.min_individual_miner_hashrate,
    sharesPerMinute: d.shares_per_minute,
    vardiff: d.enable_vardiff,
    keepaliveMs: d.job_keepalive_interval_secs * 1000,
    handshakeMs: cfg.handshake_timeout_secs * 1000,
    idleMs: cfg.idle_timeout_secs * 1000,
    noWorkMs: cfg.no_work_timeout_secs * 1000,
    pingMs: cfg.ping_interval_secs * 1000,
    summaryMs: cfg.summary_interval_secs * 1000,
    maxConnections: cfg.limits.max_connections,
    maxPerIp: cfg.limits.max_connections_per_ip,
    allowedIps: cfg.limits.allowed_ips,
    submitsPerSecond: cfg.limits.max_submits_per_second,
    invalidFreshWork: cfg.limits.invalid_shares_fresh_work,
    invalidReconnect: cfg.limits.invalid_shares_reconnect,
    verifyAccounts: cfg.verify_accounts,
    supportedExtensions: cfg.supported_extensions,
    requiredExtensions: cfg.required_extensions,
    failbackMs: cfg.failback_secs * 1000,
    shareAckTimeoutMs: cfg.share_ack_timeout_secs * 1000,
    logger,
  };
}

/** Starts the translator and keeps it until SIGINT/SIGTERM. */
export async function runTranslator(cfg: TranslatorConfig): Promise<Translator> {
  const logger = createLogger({ role: 'translator', level: cfg.log_level });
  const translator = new Translator(translatorOptions(cfg, logger));
  const ports = await translator.start();
  logger.info(
    {
      ports: ports.map((p) => `${p.host}:${p.port}/${p.kind}`),
      upstreams: cfg.upstreams.map((u) => `${u.address}:${u.port}`),
      aggregate_channels: cfg.aggregate_channels,
      verify_accounts: cfg.verify_accounts,
      failback_secs: cfg.failback_secs,
    },
    'translator ready',
  );
  runUntilSignal(() => translator.stop(), { logger });
  return translator;
}
