// `strata devnet`: the embedded development node, as a CLI sub-command.
import type { Command } from 'commander';
import { createLogger } from '../../log.js';
import { loadDevnetConfig, type DevnetConfig } from './config.js';
import { DEVNET_BANNER, Devnet } from './node.js';

export { Devnet, DEVNET_BANNER } from './node.js';
export type { DevnetOptions } from './node.js';
export { DEVNET_SCHEMA, loadDevnetConfig } from './config.js';
export type { DevnetConfig } from './config.js';

/** Flags that take numbers: typed here so the config check sees numbers (or reports the text given). */
const NUMERIC = new Set<keyof DevnetConfig>([
  'rpc_port',
  'synthetic_tx_per_minute',
  'max_mempool_txs',
  'longpoll_max_wait_secs',
]);

const FLAGS: [keyof DevnetConfig, string, string][] = [
  ['rpc_bind', '--rpc-bind <host>', 'JSON-RPC listen address (rpc_bind, default 127.0.0.1)'],
  ['rpc_port', '--rpc-port <port>', 'JSON-RPC port, 0 = any free port (rpc_port, default 18443)'],
  ['rpc_user', '--rpc-user <user>', 'RPC user name; with --rpc-password replaces the cookie file (rpc_user)'],
  ['rpc_password', '--rpc-password <password>', 'RPC password (rpc_password)'],
  ['data_dir', '--data-dir <dir>', 'blocks file and .cookie live here (data_dir, default ./data/devnet)'],
  [
    'synthetic_tx_per_minute',
    '--tx-rate <per-minute>',
    'synthetic mempool transactions per minute, 0 = off (synthetic_tx_per_minute)',
  ],
  [
    'max_mempool_txs',
    '--max-mempool-txs <n>',
    'mempool size limit in transactions (max_mempool_txs, default 5000)',
  ],
  [
    'longpoll_max_wait_secs',
    '--longpoll-max-wait <seconds>',
    'answer a waiting longpoll after this long anyway (longpoll_max_wait_secs, default 60)',
  ],
  ['log_level', '--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (log_level, default info)'],
];

function camel(flag: string): string {
  return flag
    .replace(/^--/, '')
    .replace(/ .*$/, '')
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function registerDevnet(program: Command): void {
  const cmd = program
    .command('devnet')
    .description(
      'embedded development node: regtest consensus, bitcoind JSON-RPC subset (getblocktemplate, submitblock, ...). ' +
        'Not Bitcoin Core and not for real funds: no P2P, no UTXO set, no script checks.',
    )
    .option('-c, --config <file>', 'TOML settings file (see config/devnet.toml); flags override it');
  for (const [, flag, help] of FLAGS) cmd.option(flag, help);
  cmd.addHelpText(
    'after',
    `\n${DEVNET_BANNER}.\nWithout rpc_user/rpc_password a cookie file <data_dir>/.cookie is written at start and removed at stop.`,
  );
  cmd.action(async (raw: Record<string, unknown>) => {
    const overrides: Record<string, unknown> = {};
    for (const [key, flag] of FLAGS) {
      const v = raw[camel(flag)];
      if (typeof v !== 'string') continue;
      overrides[key] = NUMERIC.has(key) && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
    }
    await runDevnet(loadDevnetConfig(raw.config as string | undefined, overrides));
  });
}

/** Starts the node and keeps it until SIGINT/SIGTERM or the `stop` RPC. */
export async function runDevnet(cfg: DevnetConfig): Promise<Devnet> {
  const logger = createLogger({ role: 'devnet', level: cfg.log_level });
  const node = new Devnet({
    rpcBind: cfg.rpc_bind,
    rpcPort: cfg.rpc_port,
    rpcUser: cfg.rpc_user || undefined,
    rpcPassword: cfg.rpc_password || undefined,
    dataDir: cfg.data_dir,
    txPerMinute: cfg.synthetic_tx_per_minute,
    maxMempoolTxs: cfg.max_mempool_txs,
    longpollMaxWaitSecs: cfg.longpoll_max_wait_secs,
    logger,
  });
  const shutdown = () => {
    void node.stop().then(() => process.exit(0));
  };
  node.onStopRequested = shutdown;
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await node.start();
  return node;
}
