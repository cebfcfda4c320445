// `strata miner`: the CPU mining device. SV2 (one standard channel over Noise)
// by default, Stratum V1 with --sv1; hashing on worker threads, reconnects
// with backoff, one report line per interval.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from '../../log.js';
import { loadAuthorityPublicKey } from '../keygen.js';
import type { MinerContext, MinerSession } from './context.js';
import { defaultThreads, HashEngine, measureHashrate } from './engine.js';
import { MinerStats, formatHashrate } from './stats.js';
import { Supervisor, type Endpoint } from './supervisor.js';
import { Sv1Session } from './sv1-session.js';
import { Sv2Session } from './sv2-session.js';

export { HashEngine, measureHashrate, defaultThreads } from './engine.js';
export { HeaderHasher, targetWords } from './sha256.js';
export { RangeSearch, NONCE_SPACE, type Work, type FoundShare } from './search.js';
export { BIP323_MASK, BIP310_COMMON_MASK, rolledVersion, depositBits } from './version-roll.js';
export { MinerStats } from './stats.js';

export interface MinerOptions {
  mode: 'sv2' | 'sv1';
  pool: Endpoint;
  user: string;
  /** SV2: authority public key (string or file); required unless `plain`. */
  authorityKey?: string;
  /** SV2 without Noise (only for pools listening in plain mode). */
  plain?: boolean;
  /** SV1 password. */
  password?: string;
  /** SV1: user agent in mining.subscribe and client.get_version (default strata-miner/<version>). */
  userAgent?: string;
  /** SV1: mining.suggest_difficulty sent after the authorize reply and repeated every interval. */
  suggestDifficulty?: number;
  /** SV1: interval of the repeated suggestion in ms (default 30 000; not a CLI flag). */
  suggestDifficultyIntervalMs?: number;
  threads?: number;
  /** Advertised hashrate in H/s; measured for ~2 s when absent. */
  nominalHashrate?: number;
  /** Throttle: at most this many hashes per second over all threads (emulates a slower device). */
  maxHashrate?: number;
  /** Roll version bits when the job allows it. */
  versionRolling: boolean;
  /** SV2: tell the pool rolling is required (REQUIRES_VERSION_ROLLING). */
  requireVersionRolling?: boolean;
  reportIntervalSec?: number;
  deviceId?: string;
}

export interface RunningMiner {
  readonly stats: MinerStats;
  readonly engine: HashEngine;
  /** Ends the session, terminates the threads; resolves when all is down. */
  stop(): Promise<void>;
}

const MEASURE_MS = 2000;
/** Longest --user-agent, in characters. */
export const MAX_USER_AGENT = 256;

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** "host:port" or "[v6]:port". */
export function parseEndpoint(text: string): Endpoint {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port > 0 && port < 65536)) throw new Error(`--pool ${text}: expected host:port`);
  return { host: m[1] ?? m[2]!, port };
}

/** Refuses options that make no sense together or out of range, before anything starts. */
function checkOptions(opts: MinerOptions): void {
  if (opts.mode !== 'sv1') {
    if (opts.userAgent !== undefined) throw new Error('--user-agent is for Stratum V1 only (add --sv1)');
    if (opts.suggestDifficulty !== undefined)
      throw new Error('--suggest-difficulty is for Stratum V1 only (add --sv1)');
  }
  const ua = opts.userAgent;
  if (ua !== undefined) {
    if (ua.trim() === '') throw new Error('--user-agent: expected a non-empty text');
    const length = [...ua].length;
    if (length > MAX_USER_AGENT)
      throw new Error(`--user-agent: ${length} characters, at most ${MAX_USER_AGENT} allowed`);
  }
  const d = opts.suggestDifficulty;
  if (d !== undefined && !(Number.isFinite(d) && d > 0))
    throw new Error(`--suggest-difficulty ${d}: expected a positive number`);
}

export async function startMiner(opts: MinerOptions, log: Logger): Promise<RunningMiner> {
  checkOptions(opts);
  const authority =
    opts.mode === 'sv2' && !opts.plain
      ? opts.authorityKey !== undefined
        ? loadAuthorityPublicKey(opts.authorityKey)
        : null
      : null;
  if (opts.mode === 'sv2' && !opts.plain && authority === null)
    throw new Error('--authority-key is required for SV2 over Noise (or use --plain)');
  const stats = new MinerStats();
  let session: MinerSession | undefined;
  const engine = new HashEngine({
    threads: opts.threads ?? defaultThreads(),
    maxHashrate: opts.maxHashrate,
    onShare: (share) => session?.onShare(share),
    onError: (err) => log.error({ err: err.message }, 'hashing thread failed'),
  });
  await engine.start();
  const version = packageVersion();
  log.info(
    {
      mode: opts.mode,
      pool: `${opts.pool.host}:${opts.pool.port}`,
      threads: engine.threads,
      max_hashrate: opts.maxHashrate,
      version,
    },
    'miner starting',
  );

  let nominal = opts.nominalHashrate ?? 0;
  // Only SV2 advertises a hashrate (OpenStandardMiningChannel.nominal_hash_rate).
  if (opts.nominalHashrate === undefined && opts.mode === 'sv2') {
    nominal = await measureHashrate(engine, MEASURE_MS);
    log.info({ hashrate: Math.round(nominal), hashrate_human: formatHashrate(nominal) }, 'measured hashrate');
  }
  let workId = 0;
  const ctx: MinerContext = {
    engine,
    stats,
    log,
    nextWorkId: () => (workId = (workId + 1) % Number.MAX_SAFE_INTEGER),
    now: Date.now,
  };
  const supervisor = new Supervisor({
    initial: opts.pool,
    run: (endpoint) => {
      session =
        opts.mode === 'sv2'
          ? new Sv2Session(
              {
                endpoint,
                authorityPublicKey: authority,
                plain: opts.plain ?? false,
                user: opts.user,
                nominalHashrate: nominal,
                versionRolling: opts.versionRolling,
                requireVersionRolling: opts.requireVersionRolling ?? false,
                deviceId: opts.deviceId ?? '',
                firmware: version,
              },
              ctx,
            )
          : new Sv1Session(
              {
                endpoint,
                user: opts.user,
                password: opts.password ?? 'x',
                versionRolling: opts.versionRolling,
                userAgent: opts.userAgent ?? `strata-miner/${version}`,
                suggestDifficulty: opts.suggestDifficulty,
                suggestDifficultyIntervalMs: opts.suggestDifficultyIntervalMs,
              },
              ctx,
            );
      return session.run();
    },
    onEnd: (end, delayMs) =>
      log.warn({ reason: end.reason, retry_in_ms: delayMs, redirect: end.redirect }, 'disconnected'),
  });
  const running = supervisor.run();

  let last = Date.now();
  const reportTimer = setInterval(
    () => {
      const now = Date.now();
      const rate = (engine.takeHashes() * 1000) / Math.max(1, now - last);
      last = now;
      log.info(stats.snapshot(rate), 'report');
    },
    Math.max(0.1, opts.reportIntervalSec ?? 30) * 1000,
  );

  let stopping: Promise<void> | undefined;
  return {
    stats,
    engine,
    stop() {
      stopping ??= (async () => {
        clearInterval(reportTimer);
        supervisor.stop();
        session?.close('miner stopping');
        await running;
        await engine.stop();
        log.info(stats.snapshot(0), 'miner stopped');
      })();
      return stopping;
    },
  };
}

export interface RegisterHooks {
  /** Where log lines go instead of stdout (in-process use). */
  stream?: { write(chunk: string): unknown };
  /** Install SIGINT/SIGTERM handlers that stop and exit (default true). */
  signals?: boolean;
  onStarted?: (miner: RunningMiner) => void;
}

interface MinerFlags {
  pool: string;
  user: string;
  sv1?: boolean;
  authorityKey?: string;
  plain?: boolean;
  password: string;
  userAgent?: string;
  suggestDifficulty?: string;
  threads?: string;
  nominalHashrate?: string;
  maxHashrate?: string;
  versionRolling?: boolean;
  reportInterval: string;
  deviceId: string;
  logLevel: string;
}

function positiveNumber(text: string | undefined, flag: string, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new Error(`${flag} ${text}: expected a positive ${integer ? 'integer' : 'number'}`);
  return n;
}

export function registerMiner(program: Command, hooks: RegisterHooks = {}): void {
  program
    .command('miner')
    .description('CPU mining device: SV2 standard channel over Noise, or Stratum V1 with --sv1')
    .requiredOption('--pool <host:port>', 'pool (or translator, JDC) to mine on')
    .requiredOption('--user <account.worker>', 'user identity / SV1 worker name')
    .option('--sv1', 'speak Stratum V1 (plain TCP JSON lines) instead of SV2')
    .option('--authority-key <key|file>', 'SV2: the pool authority public key, or a file holding it')
    .option('--plain', 'SV2 without Noise encryption (only for pools that listen in plain mode)')
    .option('--password <password>', 'SV1: password for mining.authorize', 'x')
    .option(
      '--user-agent <text>',
      `SV1: user agent for mining.subscribe and client.get_version, e.g. NerdMinerV2/1.8.3 or cpuminer/2.5.1 (1-${MAX_USER_AGENT} characters; default: strata-miner/<version>)`,
    )
    .option(
      '--suggest-difficulty <n>',
      'SV1: send mining.suggest_difficulty with n after the authorize reply and every 30 s, as ESP-Miner (e.g. 1000) and NerdMiner (e.g. 0.00015) do',
    )
    .option('--threads <n>', 'hashing threads (default: CPU cores - 1, at least 1)')
    .option('--nominal-hashrate <H/s>', 'SV2: hashrate to advertise (default: measured for 2 s at start)')
    .option(
      '--max-hashrate <H/s>',
      'hash at most this many H/s over all threads together, to stand in for a slower device (default: no limit)',
    )
    .option(
      '--version-rolling',
      'roll version bits (SV2: also require it from the pool; SV1: ask via mining.configure)',
    )
    .option('--no-version-rolling', 'never roll version bits (SV2 rolls by default when the job allows)')
    .option('--report-interval <seconds>', 'seconds between report lines', '30')
    .option('--device-id <id>', 'SV2: device_id in SetupConnection', '')
    .option('--log-level <level>', LOG_LEVELS.join('|'), 'info')
    .action(async (f: MinerFlags) => {
      if (!(LOG_LEVELS as readonly string[]).includes(f.logLevel))
        throw new Error(`--log-level ${f.logLevel}: expected one of ${LOG_LEVELS.join(', ')}`);
      const mode = f.sv1 === true ? 'sv1' : 'sv2';
      const opts: MinerOptions = {
        mode,
        pool: parseEndpoint(f.pool),
        user: f.user,
        authorityKey: f.authorityKey,
        plain: f.plain === true,
        password: f.password,
        userAgent: f.userAgent,
        suggestDifficulty: positiveNumber(f.suggestDifficulty, '--suggest-difficulty'),
        threads: positiveNumber(f.threads, '--threads', true),
        nominalHashrate: positiveNumber(f.nominalHashrate, '--nominal-hashrate'),
        maxHashrate: positiveNumber(f.maxHashrate, '--max-hashrate'),
        // SV2 jobs allow rolling unless said otherwise; SV1 only rolls when asked to.
        versionRolling: f.versionRolling ?? mode === 'sv2',
        requireVersionRolling: mode === 'sv2' && f.versionRolling === true,
        reportIntervalSec: positiveNumber(f.reportInterval, '--report-interval'),
        deviceId: f.deviceId,
      };
      const log = createLogger({ role: 'miner', level: f.logLevel as LogLevel, stream: hooks.stream });
      const miner = await startMiner(opts, log);
      hooks.onStarted?.(miner);
      if (hooks.signals !== false) {
        const shutdown = (signal: string) => {
          log.info({ signal }, 'shutting down');
          void miner.stop().then(() => process.exit(0));
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      }
    });
}
