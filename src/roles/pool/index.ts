// `strata pool`: the SV2 pool role (Mining Protocol server over Noise, TDP
// client to the template provider, SQLite share accounting and payouts), and
// `strata pool account add|list` for the operator.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { createLogger, type Logger } from '../../log.js';
import { BitcoinRpc, type RpcAuth } from '../../rpc/index.js';
import { loadServerAuthority, upstreamSecurity } from '../common/authority.js';
import { addConfigFlags, flagOverrides, type FlagRow } from '../common/cli-flags.js';
import { runUntilSignal } from '../common/shutdown.js';
import { addAccount, listAccounts, openPoolStore, poolNetwork, storeLocation } from './accounts.js';
import { copySqliteToPostgres } from '../../store/copy.js';
import { isPostgresUrl, openDatabase } from '../../store/index.js';
import { loadPoolConfig, type PoolConfig } from './config.js';
import { parseRewardScript } from './identity.js';
import { JobDeclaration } from './jd.js';
import { loadTokenSecret } from '../keygen.js';
import type { Network } from '../../bitcoin/index.js';
import { Payouts } from './payouts.js';
import { Pool } from './pool.js';
import { ipMatcher } from '../../net/guard.js';
import { PoolLiveView, startPoolWeb } from './web.js';
import { poolWorkerCount, runPoolWorkers } from './workers.js';

export { POOL_SCHEMA, PAYOUT_MODES, loadPoolConfig } from './config.js';
export type { PoolConfig, PayoutMode } from './config.js';
export { Pool, type PoolOptions } from './pool.js';
export { Payouts, PPLNS_PAYOUT_KEY, MAX_OUTPUT_BYTES, type PayoutPlan } from './payouts.js';
export { parseIdentity, parseRewardScript, DEFAULT_WORKER } from './identity.js';
export { addAccount, listAccounts, poolNetwork } from './accounts.js';

export const POOL_FLAGS: readonly FlagRow[] = [
  ['listen_address', '--listen <host:port>', 'where miners connect; port 0 = any free port'],
  ['template_provider.address', '--tp-address <host:port>', 'the template provider'],
  ['template_provider.public_key', '--tp-public-key <key-or-file>', 'the template provider authority key'],
  ['template_provider.transport', '--tp-transport <mode>', 'noise|noise-unauthenticated|plain'],
  ['authority_secret_key', '--authority-secret-key <key-or-file>', 'authority secret key, or a file with it'],
  ['authority_public_key', '--authority-public-key <key-or-file>', 'authority public key, or a file with it'],
  [
    'cert_validity_sec',
    '--cert-validity <seconds>',
    'lifetime of the server certificate; a new static key and certificate after half of it',
    'number',
  ],
  ['network', '--network <name>', 'mainnet|testnet4|testnet3|signet|regtest|devnet'],
  ['coinbase_reward_script', '--coinbase-reward-script <address>', 'pool payout address or addr(<address>)'],
  ['pool_signature', '--pool-signature <tag>', 'pool tag in the coinbase scriptSig'],
  ['server_id', '--server-id <n>', 'first extranonce byte (0..255)', 'number'],
  [
    'workers',
    '--workers <n>',
    'pool processes behind the mining port, sharing the database; 0 = one per core',
    'number',
  ],
  ['shares_per_minute', '--shares-per-minute <n>', 'vardiff aim per channel', 'number'],
  ['share_batch_size', '--share-batch-size <n>', 'accepted shares per SubmitShares.Success', 'number'],
  ['max_past_jobs', '--max-past-jobs <n>', 'jobs per channel kept for late shares', 'number'],
  [
    'vardiff_interval',
    '--vardiff-interval <seconds>',
    'seconds between vardiff evaluations; 0 = off',
    'number',
  ],
  ['payout_mode', '--payout-mode <mode>', 'pplns|solo'],
  ['pool_fee_percent', '--pool-fee-percent <percent>', 'pool fee in percent', 'number'],
  ['pplns_window_factor', '--pplns-window-factor <n>', 'PPLNS window = n × network difficulty', 'number'],
  ['max_coinbase_outputs', '--max-coinbase-outputs <n>', 'payout outputs per coinbase', 'number'],
  ['dust_limit_sats', '--dust-limit <sats>', 'smaller payouts are carried as credit', 'number'],
  ['auto_create_accounts', '--auto-create-accounts <bool>', 'create unknown accounts on connect', 'boolean'],
  ['block_confirmations', '--block-confirmations <n>', 'confirmations before a block is confirmed', 'number'],
  [
    'block_check_interval',
    '--block-check-interval <seconds>',
    'seconds between block status checks',
    'number',
  ],
  ['job_declaration.enabled', '--job-declaration <bool>', 'take custom jobs from JD clients', 'boolean'],
  [
    'job_declaration.token_secret_file',
    '--jd-token-secret <file>',
    'secret shared with the job declarator server',
  ],
  [
    'job_declaration.allow_coinbase_only',
    '--jd-allow-coinbase-only <bool>',
    'take jobs with allocated (coinbase-only) tokens',
    'boolean',
  ],
  [
    'job_declaration.min_pool_payout_percent',
    '--jd-min-pool-payout <percent>',
    "least share of a custom coinbase paid to the pool's output",
    'number',
  ],
  ['database.path', '--database <file>', 'SQLite database file'],
  ['database.url', '--database-url <url>', 'PostgreSQL server (postgres://…) instead of the SQLite file'],
  ['database.synchronous', '--synchronous <mode>', 'NORMAL|FULL'],
  ['bitcoind.rpc_url', '--rpc-url <url>', 'optional node JSON-RPC URL (direct submitblock, block status)'],
  ['bitcoind.rpc_user', '--rpc-user <user>', 'RPC user'],
  ['bitcoind.rpc_password', '--rpc-password <password>', 'RPC password'],
  ['bitcoind.rpc_cookie_file', '--rpc-cookie <file>', 'the node cookie file'],
  ['web.enabled', '--web <bool>', 'serve the web page, JSON API and /metrics', 'boolean'],
  ['web.listen_address', '--web-listen <host:port>', 'where the web page listens; port 0 = any free port'],
  ['web.public_host', '--web-public-host <host>', 'host name shown in the connection URLs'],
  ['log_level', '--log-level <level>', 'fatal|error|warn|info|debug|trace|silent'],
];

function configFrom(raw: Record<string, unknown>): PoolConfig {
  return loadPoolConfig(raw.config as string | undefined, flagOverrides(POOL_FLAGS, raw));
}

export function registerPool(program: Command): void {
  const cmd = program
    .command('pool')
    .description(
      'SV2 pool: Mining Protocol over Noise, templates from a template provider, shares and payouts in SQLite or PostgreSQL',
    )
    .option('-c, --config <file>', 'TOML settings file (see config/pool.toml); flags override it');
  addConfigFlags(cmd, POOL_FLAGS);
  cmd.action(async (raw: Record<string, unknown>) => {
    await runPool(configFrom(raw));
  });

  const account = cmd.command('account').description("manage accounts in the pool's database");
  account
    .command('add <name>')
    .description('create an account miners log in to as <name>.<worker>')
    .option('--payout-address <address>', 'where PPLNS payouts go (without one they are carried as credit)')
    .action(async function (this: Command, name: string) {
      const opts = this.optsWithGlobals();
      const row = await addAccount(configFrom(opts), name, opts.payoutAddress as string | undefined);
      console.log(
        `account ${row.name} created${row.payout_address ? ` (payout address ${row.payout_address})` : ''}`,
      );
    });
  account
    .command('list')
    .description('list the accounts (name, payout address, created)')
    .option('--json', 'one JSON object per line')
    .action(async function (this: Command) {
      const opts = this.optsWithGlobals();
      const rows = await listAccounts(configFrom(opts));
      for (const r of rows) {
        if (opts.json === true) console.log(JSON.stringify(r));
        else console.log(`${r.name}\t${r.payout_address ?? '-'}\t${r.created_at}`);
      }
    });

  const db = cmd.command('db').description("the pool's database");
  db.command('migrate')
    .description(
      'copy the SQLite database ([database] path) into an empty PostgreSQL database, then set [database] url to it',
    )
    .requiredOption('--to <url>', 'the PostgreSQL database (postgres://user:password@host:port/database)')
    .action(async function (this: Command) {
      const opts = this.optsWithGlobals();
      const cfg = configFrom(opts);
      const to = opts.to as string;
      if (!isPostgresUrl(to)) throw new Error(`--to must be a postgres:// URL, got ${JSON.stringify(to)}`);
      if (!existsSync(cfg.database.path)) throw new Error(`no SQLite database at ${cfg.database.path}`);
      const sqlite = openDatabase(cfg.database.path);
      try {
        const started = Date.now();
        const result = await copySqliteToPostgres(sqlite, to, (p) =>
          console.log(`${p.table}: ${p.rows} rows`),
        );
        const rows = result.tables.reduce((n, t) => n + t.rows, 0);
        console.log(
          `copied ${rows} rows in ${result.tables.length} tables (schema version ${result.schema_version}) ` +
            `in ${((Date.now() - started) / 1000).toFixed(1)} s; set [database] url to use it`,
        );
      } finally {
        sqlite.close();
      }
    });
}

function rpcFor(cfg: PoolConfig): BitcoinRpc | null {
  const b = cfg.bitcoind;
  if (b.rpc_url === undefined || b.rpc_url === '') return null;
  let auth: RpcAuth | undefined;
  if (b.rpc_user !== '' && b.rpc_password !== '') auth = { user: b.rpc_user, password: b.rpc_password };
  else if (b.rpc_cookie_file !== undefined && new URL(b.rpc_url).username === '')
    auth = { cookieFile: b.rpc_cookie_file };
  return new BitcoinRpc({ url: b.rpc_url, auth, retry: { attempts: 2 } });
}

/** [job_declaration]: null when off; a clear error when it cannot work with these settings. */
function jobDeclarationFor(
  cfg: PoolConfig,
  poolScript: Uint8Array | null,
  network: Network,
  startedAt: number,
): JobDeclaration | null {
  const jd = cfg.job_declaration;
  if (!jd.enabled) return null;
  if (cfg.payout_mode !== 'pplns') {
    throw new Error('[job_declaration] needs payout_mode = "pplns": custom jobs pay the pool\'s own output');
  }
  if (poolScript === null)
    throw new Error('[job_declaration] needs coinbase_reward_script: custom jobs pay it');
  return new JobDeclaration({
    secret: loadTokenSecret(jd.token_secret_file),
    allowCoinbaseOnly: jd.allow_coinbase_only,
    minPoolPayoutPercent: jd.min_pool_payout_percent,
    poolScript,
    network: network.name,
    startedAt,
  });
}

/** What a pool process is given beyond its settings when it is one of several workers. */
export interface PoolWorkerRole {
  /** This worker's number (0..count−1): its share of the extranonce index space. */
  index: number;
  count: number;
}

/**
 * Builds (does not start) the pool of `cfg`: the store, payouts, job
 * declaration and the Pool itself. As a worker it takes handed connections
 * (no port, no limits of its own) and partitions the extranonce space.
 */
export async function buildPool(
  cfg: PoolConfig,
  logger: Logger,
  worker?: PoolWorkerRole,
): Promise<{
  pool: Pool;
  authority: ReturnType<typeof loadServerAuthority>;
  network: Network;
  rpc: BitcoinRpc | null;
  jobDeclaration: JobDeclaration | null;
}> {
  const startedAt = Date.now();
  const authority = loadServerAuthority(cfg.authority_secret_key, cfg.authority_public_key);
  const network = poolNetwork(cfg);
  const poolScript =
    cfg.coinbase_reward_script.trim() === '' ? null : parseRewardScript(cfg.coinbase_reward_script, network);
  const tp = cfg.template_provider;
  const security = upstreamSecurity(tp.transport, tp.public_key);
  const rpc = rpcFor(cfg);
  const jobDeclaration = jobDeclarationFor(cfg, poolScript, network, startedAt);
  const store = await openPoolStore(cfg, { sharedWriters: worker !== undefined });
  let pool: Pool;
  try {
    const payouts = new Payouts({
      mode: cfg.payout_mode,
      network,
      poolScript,
      feePercent: cfg.pool_fee_percent,
      maxOutputs: cfg.max_coinbase_outputs,
      dustLimit: BigInt(cfg.dust_limit_sats),
      store,
      logger,
    });
    pool = new Pool({
      host: cfg.listen_address.host,
      port: cfg.listen_address.port,
      authoritySecretKey: authority.secretKey,
      certValiditySec: cfg.cert_validity_sec,
      // A worker's connections were admitted by the primary, against the whole pool's counts.
      limits:
        worker !== undefined
          ? undefined
          : {
              maxConnections: cfg.limits.max_connections,
              maxPerIp: cfg.limits.max_connections_per_ip,
              allowed: ipMatcher(cfg.limits.allowed_ips),
            },
      handedSockets: worker !== undefined,
      channels: {
        server_id: cfg.server_id,
        extranonce_prefix_size: cfg.extranonce_prefix_size,
        worker_count: worker?.count ?? 1,
        worker_index: worker?.index ?? 0,
        default_rollable_extranonce_size: cfg.default_rollable_extranonce_size,
        pool_signature: cfg.pool_signature,
        shares_per_minute: cfg.shares_per_minute,
        share_batch_size: cfg.share_batch_size,
        max_past_jobs: cfg.max_past_jobs,
      },
      vardiffIntervalMs: cfg.vardiff_interval * 1000,
      tdp: { host: tp.address.host, port: tp.address.port, security },
      store,
      payouts,
      mode: cfg.payout_mode,
      network,
      autoCreateAccounts: cfg.auto_create_accounts,
      rpc,
      blockConfirmations: cfg.block_confirmations,
      blockCheckIntervalMs: cfg.block_check_interval * 1000,
      jobDeclaration,
      logger,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  return { pool, authority, network, rpc, jobDeclaration };
}

/**
 * Starts the pool and keeps it until SIGINT/SIGTERM. Throws one clear
 * message on bad settings. With `workers` above 1 the pool runs as a
 * primary process and that many worker processes (workers.ts); the
 * promise then resolves with null.
 */
export async function runPool(cfg: PoolConfig): Promise<Pool | null> {
  const count = poolWorkerCount(cfg.workers);
  if (count > 1) {
    await runPoolWorkers(cfg, count);
    return null;
  }
  const logger = createLogger({ role: 'pool', level: cfg.log_level });
  const { pool, authority, network, rpc, jobDeclaration } = await buildPool(cfg, logger);
  const tp = cfg.template_provider;
  const { host, port } = await pool.start();
  const live = new PoolLiveView(
    pool,
    authority.publicKeyText,
    port,
    cfg.payout_mode,
    cfg.pool_fee_percent,
    cfg.network,
    network,
  );
  const web = await startPoolWeb(cfg, pool.store, live, logger);
  logger.info(
    {
      host,
      port,
      authority_public_key: authority.publicKeyText,
      payout_mode: cfg.payout_mode,
      network: cfg.network,
      template_provider: `${tp.address.host}:${tp.address.port}`,
      database: storeLocation(cfg),
      rpc_url: rpc?.url ?? null,
      job_declaration: jobDeclaration !== null,
    },
    'pool ready',
  );
  runUntilSignal(
    async () => {
      await web?.close();
      await pool.stop();
    },
    { logger },
  );
  return pool;
}
