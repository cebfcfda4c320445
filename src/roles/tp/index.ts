// `strata tp`: the template provider bridge (Bitcoin Core JSON-RPC → SV2
// Template Distribution over Noise), as a CLI sub-command.
import type { Command } from 'commander';
import { createLogger } from '../../log.js';
import { BitcoinRpc, isRpcError, type RpcAuth } from '../../rpc/index.js';
import { loadServerAuthority } from '../common/authority.js';
import { addConfigFlags, flagOverrides, type FlagRow } from '../common/cli-flags.js';
import { runUntilSignal } from '../common/shutdown.js';
import { loadTpConfig, type TpConfig } from './config.js';
import { TemplateProvider } from './provider.js';

export { TP_SCHEMA, loadTpConfig } from './config.js';
export type { TpConfig } from './config.js';
export { TemplateProvider } from './provider.js';
export type { TemplateProviderOptions } from './provider.js';

export const TP_FLAGS: readonly FlagRow[] = [
  ['listen_address', '--listen <host:port>', 'where TDP clients connect; port 0 = any free port'],
  ['bitcoind.rpc_url', '--rpc-url <url>', 'Bitcoin Core JSON-RPC URL'],
  ['bitcoind.rpc_user', '--rpc-user <user>', 'RPC user; with --rpc-password replaces the cookie file'],
  ['bitcoind.rpc_password', '--rpc-password <password>', 'RPC password'],
  ['bitcoind.rpc_cookie_file', '--rpc-cookie <file>', 'the node cookie file'],
  [
    'bitcoind.liveness_interval',
    '--liveness-interval <seconds>',
    'probe the node this often while a longpoll waits (0 = off)',
    'number',
  ],
  ['network', '--network <name>', 'mainnet|testnet4|testnet3|signet|regtest|devnet'],
  ['authority_secret_key', '--authority-secret-key <key-or-file>', 'authority secret key, or a file with it'],
  ['authority_public_key', '--authority-public-key <key-or-file>', 'authority public key, or a file with it'],
  [
    'cert_validity_sec',
    '--cert-validity <seconds>',
    'lifetime of the server certificate; a new static key and certificate after half of it',
    'number',
  ],
  ['fee_threshold', '--fee-threshold <sats>', 'fee rise before a same-tip template', 'number'],
  ['min_interval', '--min-interval <seconds>', 'least time between same-tip templates', 'number'],
  [
    'node_reserved_weight',
    '--node-reserved-weight <wu>',
    'weight the node keeps free for the coinbase',
    'number',
  ],
  ['log_level', '--log-level <level>', 'fatal|error|warn|info|debug|trace|silent'],
];

export function registerTp(program: Command): void {
  const cmd = program
    .command('tp')
    .description(
      'template provider bridge: serves SV2 Template Distribution over Noise from Bitcoin Core getblocktemplate/submitblock',
    )
    .option('-c, --config <file>', 'TOML settings file (see config/tp.toml); flags override it');
  addConfigFlags(cmd, TP_FLAGS);
  cmd.action(async (raw: Record<string, unknown>) => {
    await runTp(loadTpConfig(raw.config as string | undefined, flagOverrides(TP_FLAGS, raw)));
  });
}

function rpcAuth(cfg: TpConfig): RpcAuth | undefined {
  const b = cfg.bitcoind;
  if (b.rpc_user !== '' && b.rpc_password !== '') return { user: b.rpc_user, password: b.rpc_password };
  // Credentials in the URL win over the cookie file.
  if (new URL(b.rpc_url).username !== '') return undefined;
  return { cookieFile: b.rpc_cookie_file };
}

/**
 * Starts the provider and keeps it until SIGINT/SIGTERM. Throws (one clear
 * message) on bad keys or a node on the wrong chain.
 */
export async function runTp(cfg: TpConfig): Promise<TemplateProvider> {
  const logger = createLogger({ role: 'tp', level: cfg.log_level });
  const authority = loadServerAuthority(cfg.authority_secret_key, cfg.authority_public_key);
  // Retries are the watcher's: one log line per outage, not per attempt.
  const rpc = new BitcoinRpc({ url: cfg.bitcoind.rpc_url, auth: rpcAuth(cfg), retry: { attempts: 1 } });
  try {
    await rpc.checkChain(cfg.network);
  } catch (err) {
    if (isRpcError(err, 'wrong_chain')) throw err;
    // Unreachable at start is not fatal: the watcher keeps trying and checks the chain then.
  }
  const provider = new TemplateProvider({
    rpc,
    network: cfg.network,
    host: cfg.listen_address.host,
    port: cfg.listen_address.port,
    authoritySecretKey: authority.secretKey,
    certValiditySec: cfg.cert_validity_sec,
    feeThreshold: BigInt(cfg.fee_threshold),
    minIntervalMs: cfg.min_interval * 1000,
    nodeReservedWeight: cfg.node_reserved_weight,
    livenessIntervalMs: cfg.bitcoind.liveness_interval * 1000,
    logger,
    onFatal: (err) => {
      logger.fatal({ err: err.message }, 'wrong chain; exiting');
      process.exit(1);
    },
  });
  const { host, port } = await provider.start();
  logger.info(
    { host, port, authority_public_key: authority.publicKeyText, network: cfg.network, rpc_url: rpc.url },
    'template provider ready',
  );
  runUntilSignal(() => provider.stop(), { logger });
  return provider;
}
