// `strata jdc`: the job declarator client (its own templates declared to a
// pool's JDS and set as custom jobs on the pool; a pool for its downstreams;
// fallback to the next upstream, then solo), as a CLI sub-command.
import type { Command } from 'commander';
import { networkByName } from '../../bitcoin/index.js';
import { createLogger } from '../../log.js';
import { loadServerAuthority, upstreamSecurity } from '../common/authority.js';
import { addConfigFlags, flagOverrides, type FlagRow } from '../common/cli-flags.js';
import { runUntilSignal } from '../common/shutdown.js';
import { parseRewardScript } from '../pool/identity.js';
import { loadJdcConfig, type JdcConfig } from './config.js';
import { JobDeclaratorClient } from './jdc.js';

export { JDC_SCHEMA, loadJdcConfig, JD_MODES } from './config.js';
export type { JdcConfig, JdMode } from './config.js';
export { JobDeclaratorClient } from './jdc.js';
export type { JdcOptions } from './jdc.js';

export const JDC_FLAGS: readonly FlagRow[] = [
  ['listen_address', '--listen <host:port>', 'where downstream miners connect; port 0 = any free port'],
  ['mode', '--mode <mode>', 'full-template or coinbase-only'],
  ['network', '--network <name>', 'mainnet|testnet4|testnet3|signet|regtest|devnet'],
  ['coinbase_reward_script', '--coinbase-reward-script <address>', 'solo payout address or addr(<address>)'],
  ['user_identity', '--user-identity <name>', 'user_identity on the pool (an account of the pool)'],
  ['authority_secret_key', '--authority-secret-key <key-or-file>', 'authority secret key, or a file with it'],
  ['authority_public_key', '--authority-public-key <key-or-file>', 'authority public key, or a file with it'],
  ['template_provider.address', '--tp-address <host:port>', 'its own template provider'],
  ['template_provider.public_key', '--tp-public-key <key-or-file>', "the template provider's authority key"],
  [
    'upstreams[0].pool_address',
    '--pool-address <host:port>',
    'a pool; with --jds-address and --pool-authority-pubkey it replaces [[upstreams]]',
  ],
  ['upstreams[0].jds_address', '--jds-address <host:port>', "that pool's JDS"],
  ['upstreams[0].authority_pubkey', '--pool-authority-pubkey <key-or-file>', "that pool's authority key"],
  [
    'upstream_extranonce_size',
    '--upstream-extranonce-size <bytes>',
    'extranonce bytes asked of the pool',
    'number',
  ],
  ['job_ack_timeout', '--job-ack-timeout <seconds>', 'time for a custom job to be acknowledged', 'number'],
  ['retry_interval', '--retry-interval <seconds>', 'how often earlier upstreams are tried again', 'number'],
  ['log_level', '--log-level <level>', 'fatal|error|warn|info|debug|trace|silent'],
];

export function registerJdc(program: Command): void {
  const cmd = program
    .command('jdc')
    .description(
      'job declarator client: mines its own templates on a pool with a JDS (custom jobs), falls back to solo; a pool for its downstreams',
    )
    .option('-c, --config <file>', 'TOML settings file (see config/jdc.toml); flags override it')
    .option('--solo', 'mine solo only: ignore [[upstreams]]');
  addConfigFlags(cmd, JDC_FLAGS);
  cmd.action(async (raw: Record<string, unknown>) => {
    const overrides = upstreamOverrides(flagOverrides(JDC_FLAGS, raw));
    if (raw.solo === true) overrides.upstreams = [];
    await runJdc(loadJdcConfig(raw.config as string | undefined, overrides));
  });
}

/** The three upstream flags name one pool + JDS pair, which replaces the file's [[upstreams]]. */
function upstreamOverrides(flags: Record<string, unknown>): Record<string, unknown> {
  const keys = ['pool_address', 'jds_address', 'authority_pubkey'] as const;
  const given = keys.filter((k) => flags[`upstreams[0].${k}`] !== undefined);
  if (given.length === 0) return flags;
  if (given.length !== keys.length) {
    throw new Error('--pool-address, --jds-address and --pool-authority-pubkey go together');
  }
  const out = { ...flags };
  const entry: Record<string, unknown> = {};
  for (const k of keys) {
    entry[k] = out[`upstreams[0].${k}`];
    delete out[`upstreams[0].${k}`];
  }
  out.upstreams = [entry];
  return out;
}

/** Starts the JDC and keeps it until SIGINT/SIGTERM; throws one clear message on bad settings. */
export async function runJdc(cfg: JdcConfig): Promise<JobDeclaratorClient> {
  const logger = createLogger({ role: 'jdc', level: cfg.log_level });
  const authority = loadServerAuthority(cfg.authority_secret_key, cfg.authority_public_key);
  const chain = networkByName(cfg.network === 'devnet' ? 'regtest' : cfg.network);
  if (cfg.coinbase_reward_script.trim() === '') {
    throw new Error(
      'coinbase_reward_script is not set: the JDC needs its own payout address for solo mining',
    );
  }
  const soloScript = parseRewardScript(cfg.coinbase_reward_script, chain);
  const tp = cfg.template_provider;
  const prefix = cfg.downstream_extranonce_prefix_size;
  if (cfg.upstream_extranonce_size - prefix < 2) {
    throw new Error(
      `upstream_extranonce_size ${cfg.upstream_extranonce_size} leaves downstreams less than 2 bytes after their ${prefix}-byte prefix`,
    );
  }
  const jdc = new JobDeclaratorClient({
    host: cfg.listen_address.host,
    port: cfg.listen_address.port,
    authoritySecretKey: authority.secretKey,
    certValiditySec: cfg.cert_validity_sec,
    channels: {
      pool_signature: cfg.jdc_signature,
      extranonce_prefix_size: prefix,
      default_rollable_extranonce_size: cfg.upstream_extranonce_size - prefix,
      standard_extranonce_size: cfg.upstream_extranonce_size,
      max_extranonce_size: cfg.upstream_extranonce_size,
      shares_per_minute: cfg.shares_per_minute,
    },
    vardiffIntervalMs: cfg.vardiff_interval * 1000,
    tdp: {
      host: tp.address.host,
      port: tp.address.port,
      security: upstreamSecurity(tp.transport, tp.public_key),
    },
    mode: cfg.mode,
    upstreams: cfg.upstreams.map((u) => ({
      name: `${u.pool_address.host}:${u.pool_address.port}`,
      pool: {
        host: u.pool_address.host,
        port: u.pool_address.port,
        security: upstreamSecurity('noise', u.authority_pubkey),
      },
      jds: {
        host: u.jds_address.host,
        port: u.jds_address.port,
        security: upstreamSecurity(
          'noise',
          u.jds_authority_pubkey !== '' ? u.jds_authority_pubkey : u.authority_pubkey,
        ),
      },
    })),
    user_identity: cfg.user_identity,
    upstreamExtranonceSize: cfg.upstream_extranonce_size,
    soloScript,
    maxHeldShares: cfg.max_held_shares,
    jobAckTimeoutMs: cfg.job_ack_timeout * 1000,
    retryIntervalMs: cfg.retry_interval * 1000,
    logger,
  });
  const { host, port } = await jdc.start();
  logger.info(
    {
      host,
      port,
      authority_public_key: authority.publicKeyText,
      mode: cfg.mode,
      upstreams: cfg.upstreams.map((u) => `${u.pool_address.host}:${u.pool_address.port}`),
      coinbase_reward_script: cfg.coinbase_reward_script,
    },
    'job declarator client ready',
  );
  runUntilSignal(() => jdc.stop(), { logger });
  return jdc;
}
