// Running one translator process: its options from a checked config, and
// the process kept until SIGINT/SIGTERM. A worker process (worker-main.ts)
// builds its translator from the same options.
import { createLogger } from '../../log.js';
import { upstreamSecurity } from '../common/authority.js';
import { runUntilSignal } from '../common/shutdown.js';
import type { TranslatorConfig } from './config.js';
import { Translator, type TranslatorOptions } from './translator.js';

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
