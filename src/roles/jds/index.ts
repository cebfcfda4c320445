// `strata jds`: the job declarator server (Job Declaration Protocol over
// Noise; mempool mirror, declared-job checks and block submission through
// Bitcoin Core JSON-RPC), as a CLI sub-command.
import type { Command } from 'commander';
import { networkByName } from '../../bitcoin/index.js';
import { createLogger } from '../../log.js';
import { BitcoinRpc, isRpcError, type RpcAuth } from '../../rpc/index.js';
import { loadServerAuthority } from '../common/authority.js';
import { addConfigFlags, flagOverrides, type FlagRow } from '../common/cli-flags.js';
import { runUntilSignal } from '../common/shutdown.js';
import { loadTokenSecret } from '../keygen.js';
import { parseRewardScript } from '../pool/identity.js';
import { loadJdsConfig, type JdsConfig } from './config.js';
import { JobDeclaratorServer } from './server.js';

export { JDS_SCHEMA, loadJdsConfig } from './config.js';
export type { JdsConfig } from './config.js';
export { JobDeclaratorServer } from './server.js';
export type { JobDeclaratorServerOptions } from './server.js';
export { JDS_ERROR } from './errors.js';
export type { JdsErrorCode } from './errors.js';

export const JDS_FLAGS: readonly FlagRow[] = [
  ['listen_address', '--listen <host:port>', 'where job declarator clients connect; port 0 = any free port'],
  ['bitcoind.rpc_url', '--rpc-url <url>', 'Bitcoin Core JSON-RPC URL'],
  ['bitcoind.rpc_user', '--rpc-user <user>', 'RPC user; with --rpc-password replaces the cookie file'],
  ['bitcoind.rpc_password', '--rpc-password <password>', 'RPC password'],
  ['bitcoind.rpc_cookie_file', '--rpc-cookie <file>', 'the node cookie file'],
  ['network', '--network <name>', 'mainnet|testnet4|testnet3|signet|regtest|devnet'],
  ['authority_secret_key', '--authority-secret-key <key-or-file>', 'authority secret key, or a file with it'],
  ['authority_public_key', '--authority-public-key <key-or-file>', 'authority public key, or a file with it'],
  [
    'cert_validity_sec',
    '--cert-validity <seconds>',
    'lifetime of the server certificate; a new static key and certificate after half of it',
    'number',
  ],
  ['coinbase_reward_script', '--coinbase-reward-script <address>', 'pool payout address or addr(<address>)'],
  ['token_secret_file', '--token-secret-file <file>', 'the token secret shared with the pool'],
  [
    'allocated_token_lifetime',
    '--allocated-token-lifetime <seconds>',
    'lifetime of AllocateMiningJobToken.Success tokens',
    'number',
  ],
  [
    'declared_token_lifetime',
    '--declared-token-lifetime <seconds>',
    'lifetime of DeclareMiningJob.Success tokens',
    'number',
  ],
  [
    'token_rate_per_sec',
    '--token-rate <per-second>',
    'token requests granted per second after the burst',
    'number',
  ],
  ['token_burst', '--token-burst <n>', 'token requests granted at once', 'number'],
  ['max_outstanding_tokens', '--max-outstanding-tokens <n>', 'undeclared tokens per connection', 'number'],
  [
    'max_refused_token_requests',
    '--max-refused-token-requests <n>',
    'refused token requests in a row before closing',
    'number',
  ],
  [
    'min_pool_payout_percent',
    '--min-pool-payout-percent <percent>',
    'share of subsidy + known fees the pool output must carry',
    'number',
  ],
  ['mempool_poll_secs', '--mempool-poll <seconds>', "seconds between reads of the node's mempool", 'number'],
  ['max_mempool_txs', '--max-mempool-txs <n>', 'transactions kept in the mempool mirror', 'number'],
  [
    'max_declared_transactions',
    '--max-declared-transactions <n>',
    'transactions a DeclareMiningJob may list',
    'number',
  ],
  ['log_level', '--log-level <level>', 'fatal|error|warn|info|debug|trace|silent'],
];

export function registerJds(program: Command): void {
  const cmd = program
    .command('jds')
    .description(
      'job declarator server: allocates mining job tokens and checks declared jobs (Job Declaration Protocol over Noise) against Bitcoin Core',
    )
    .option('-c, --config <file>', 'TOML settings file (see config/jds.toml); flags override it');
  addConfigFlags(cmd, JDS_FLAGS);
  cmd.action(async (raw: Record<string, unknown>) => {
    await runJds(loadJdsConfig(raw.config as string | undefined, flagOverrides(JDS_FLAGS, raw)));
  });
}

function rpcAuth(cfg: JdsConfig): RpcAuth | undefined {
  const b = cfg.bitcoind;
  if (b.rpc_user !== '' && b.rpc_password !== '') return { user: b.rpc_user, password: b.rpc_password };
  // Credentials in the URL win over the cookie file.
  if (new URL(b.rpc_url).username !== '') return undefined;
  return { cookieFile: b.rpc_cookie_file };
}

/**
 * Starts the server and keeps it until SIGINT/SIGTERM. Throws (one clear
 * message) on bad keys, a missing payout script or token secret, or a node on
 * the wrong chain.
 */
export async function runJds(cfg: JdsConfig): Promise<JobDeclaratorServer> {
  const logger = createLogger({ role: 'jds', level: cfg.log_level });
  const authority = loadServerAuthority(cfg.authority_secret_key, cfg.authority_public_key);
  const chain = networkByName(cfg.network === 'devnet' ? 'regtest' : cfg.network);
  if (cfg.coinbase_reward_script.trim() === '') {
    throw new Error(
      'coinbase_reward_script is not set: the job declarator server needs the pool payout address',
    );
  }
  const poolScript = parseRewardScript(cfg.coinbase_reward_script, chain);
  const tokenSecret = loadTokenSecret(cfg.token_secret_file);
  const rpc = new BitcoinRpc({ url: cfg.bitcoind.rpc_url, auth: rpcAuth(cfg), retry: { attempts: 1 } });
  try {
    await rpc.checkChain(cfg.network);
  } catch (err) {
    if (isRpcError(err, 'wrong_chain')) throw err;
    // Unreachable at start is not fatal: the mirror keeps polling and says when the node answers.
  }
  const server = new JobDeclaratorServer({
    rpc,
    chain: chain.name,
    host: cfg.listen_address.host,
    port: cfg.listen_address.port,
    authoritySecretKey: authority.secretKey,
    certValiditySec: cfg.cert_validity_sec,
    poolScript,
    tokenSecret,
    allocatedTokenLifetimeSec: cfg.allocated_token_lifetime,
    declaredTokenLifetimeSec: cfg.declared_token_lifetime,
    tokenRatePerSec: cfg.token_rate_per_sec,
    tokenBurst: cfg.token_burst,
    maxOutstandingTokens: cfg.max_outstanding_tokens,
    maxRefusedTokenRequests: cfg.max_refused_token_requests,
    minPoolPayoutPercent: cfg.min_pool_payout_percent,
    maxDeclaredTransactions: cfg.max_declared_transactions,
    mempoolPollMs: cfg.mempool_poll_secs * 1000,
    maxMempoolTxs: cfg.max_mempool_txs,
    logger,
  });
  const { host, port } = await server.start();
  logger.info(
    {
      host,
      port,
      authority_public_key: authority.publicKeyText,
      network: cfg.network,
      rpc_url: rpc.url,
      coinbase_reward_script: cfg.coinbase_reward_script,
    },
    'job declarator server ready',
  );
  runUntilSignal(() => server.stop(), { logger });
  return server;
}
