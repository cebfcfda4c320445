// `strata translator`: Stratum V1 firmware mining on an SV2 pool, as a CLI
// sub-command. The SV1 side listens on one or more ports (each an ASIC or a
// CPU port); the SV2 side is an ordered list of pools with failover.
//
// This module is what the command line loads: the flags and the config.
// The translator itself (run.ts) and the primary of worker processes
// (workers.ts) are loaded by the action, only the one it runs: a primary
// then holds none of the protocol code its workers run, and starts with
// V8's young generation at its small initial size instead of the 8 MiB
// that loading that code grew it to.
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { addConfigFlags, flagOverrides, type FlagRow } from '../common/cli-flags.js';
import { loadTranslatorConfig } from './config.js';

export { TRANSLATOR_SCHEMA, loadTranslatorConfig } from './config.js';
export type { TranslatorConfig, UpstreamConfig, PortKind } from './config.js';

/** `workers` of the config: 0 means one per core. */
export function workerCount(configured: number): number {
  return configured > 0 ? configured : availableParallelism();
}

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
      const { runTranslatorWorkers } = await import('./workers.js');
      await runTranslatorWorkers(cfg, workers);
    } else {
      const { runTranslator } = await import('./run.js');
      await runTranslator(cfg);
    }
  });
}
