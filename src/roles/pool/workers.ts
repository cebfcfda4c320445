// The pool on several cores: `workers = N` runs N pool processes behind one
// mining port, on one database. A primary process owns the listening socket
// and the connection limits ([limits]: total, per address, allowed_ips); it
// accepts each connection paused, admits it against the whole pool's counts
// and hands the socket to the worker with the fewest open connections. Each
// worker is a whole pool: its own template provider connection, chain,
// channels, vardiff, share validation, block submission and block keeper, on
// the shared store (SQLite with every process tailing the shares table for
// the PPLNS window, or PostgreSQL). Worker w hands out only extranonce
// channel indices ≡ w (mod N) under the one server_id, so no two workers'
// channels search the same space. The primary serves the web page, JSON API
// and /metrics (the only process on the web port) with the workers' live
// figures, which each worker reports every second; it restarts a worker
// that dies and stops them all on SIGTERM.
//
// The hand-over, restarts and stopping live in
// roles/common/worker-processes.ts (which also says why not SO_REUSEPORT):
// a per-address cap must be counted by one process, and it costs one IPC
// message per new connection, nothing per share. (The translator's
// workers listen on the port themselves and ask for admission instead.)
import { createServer, type Server, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Network } from '../../bitcoin/index.js';
import { createLogger, type Logger } from '../../log.js';
import { ConnectionGuard, ipMatcher } from '../../net/guard.js';
import { LiveCounters, type LiveChain, type LiveChannel, type PoolLive } from '../../web/live.js';
import type { WebServer } from '../../web/index.js';
import { loadServerAuthority } from '../common/authority.js';
import { runUntilSignal } from '../common/shutdown.js';
import { openPoolStore, poolNetwork, storeLocation } from './accounts.js';
import type { PoolConfig } from './config.js';
import { startPoolWeb } from './web.js';
import { WorkerProcesses, workerSlot, type WorkerProcess } from '../common/worker-processes.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));
/** How often a worker reports its live figures to the primary. */
export const LIVE_REPORT_MS = 1000;

/** `workers` of the config: 0 means one per core. */
export function poolWorkerCount(configured: number): number {
  return configured > 0 ? configured : availableParallelism();
}

/** A worker's live figures as they travel over IPC (JSON: amounts as decimal strings). */
export interface LiveReport {
  connections: number;
  channels: LiveChannel[];
  chain: (Omit<LiveChain, 'coinbase_value_sats'> & { coinbase_value_sats: string | null }) | null;
  counters: {
    connections_total: number;
    vardiff_adjustments: number;
    blocks_submitted: number;
    shares: [string, number][];
  };
}

/** Primary → worker. */
export type ToPoolWorker =
  { t: 'start'; index: number; count: number; config: PoolConfig } | { t: 'conn'; ip: string };

/** Worker → primary. */
export type FromPoolWorker =
  { t: 'ready'; pid: number } | { t: 'closed'; ip: string } | { t: 'live'; live: LiveReport };

/** The report a worker sends: what its PoolLive shows now. */
export function liveReport(live: PoolLive): LiveReport {
  const chain = live.chain();
  const c = live.counters;
  return {
    connections: live.connections(),
    channels: live.channels(),
    chain: chain && { ...chain, coinbase_value_sats: chain.coinbase_value_sats?.toString() ?? null },
    counters: {
      connections_total: c.connections_total,
      vardiff_adjustments: c.vardiff_adjustments,
      blocks_submitted: c.blocks_submitted,
      shares: [...c.shares],
    },
  };
}

/** Adds a report's counters into `into`. */
function addCounters(into: LiveCounters, r: LiveReport['counters']): void {
  into.connections_total += r.connections_total;
  into.vardiff_adjustments += r.vardiff_adjustments;
  into.blocks_submitted += r.blocks_submitted;
  for (const [k, n] of r.shares) into.shares.set(k, (into.shares.get(k) ?? 0) + n);
}

interface Worker extends WorkerProcess {
  live: LiveReport | undefined;
}

/**
 * The web page's view of a pool made of workers: connections and channels
 * of every worker, counters added up (those of workers that died included,
 * so they never go down), the chain of the worker with the newest template.
 */
export class WorkersLive implements PoolLive {
  #counters = new LiveCounters();
  /** Counters of worker processes that ended. */
  readonly #retired = new LiveCounters();

  constructor(
    private readonly workers: readonly Worker[],
    readonly authority_public_key: string,
    readonly sv2_port: number,
    readonly payout_mode: PoolConfig['payout_mode'],
    readonly pool_fee_percent: number,
    readonly network_name: string,
    readonly network: Network,
  ) {}

  get counters(): LiveCounters {
    const sum = new LiveCounters();
    addCounters(sum, {
      connections_total: this.#retired.connections_total,
      vardiff_adjustments: this.#retired.vardiff_adjustments,
      blocks_submitted: this.#retired.blocks_submitted,
      shares: [...this.#retired.shares],
    });
    for (const w of this.workers) if (w.live) addCounters(sum, w.live.counters);
    this.#counters = sum;
    return this.#counters;
  }

  /** A worker process ended: its last counters stay in the totals. */
  retire(w: Worker): void {
    if (w.live) addCounters(this.#retired, w.live.counters);
    w.live = undefined;
  }

  connections(): number {
    let n = 0;
    for (const w of this.workers) n += w.live?.connections ?? 0;
    return n;
  }

  channels(): LiveChannel[] {
    return this.workers.flatMap((w) => w.live?.channels ?? []);
  }

  chain(): LiveChain | null {
    let newest: LiveReport['chain'] = null;
    for (const w of this.workers) {
      const c = w.live?.chain;
      if (c && (newest === null || c.template_time > newest.template_time)) newest = c;
    }
    if (newest === null) return null;
    const v = newest.coinbase_value_sats;
    return { ...newest, coinbase_value_sats: v === null ? null : BigInt(v) };
  }
}

export class PoolPrimary {
  readonly log: Logger;
  readonly workers: Worker[] = [];
  private readonly guard: ConnectionGuard;
  private readonly processes: WorkerProcesses<Worker, Extract<FromPoolWorker, { t: 'live' }>>;
  private server: Server | undefined;
  private web: WebServer | null = null;
  private live: WorkersLive | undefined;
  private closeStore: (() => Promise<void>) | undefined;

  constructor(
    private readonly cfg: PoolConfig,
    readonly count: number,
    logger?: Logger,
  ) {
    this.log = logger ?? createLogger({ role: 'pool', level: cfg.log_level });
    this.guard = new ConnectionGuard({
      maxConnections: cfg.limits.max_connections,
      maxPerIp: cfg.limits.max_connections_per_ip,
      allowed: ipMatcher(cfg.limits.allowed_ips),
    });
    for (let index = 0; index < count; index++) this.workers.push({ ...workerSlot(index), live: undefined });
    this.processes = new WorkerProcesses({
      role: 'pool',
      main: WORKER_MAIN,
      log: this.log,
      guard: this.guard,
      workers: this.workers,
      start: (w) => ({ t: 'start', index: w.index, count, config: cfg }) satisfies ToPoolWorker,
      onMessage: (w, child, msg) => {
        if (w.child === child) w.live = msg.live;
      },
      // Its last counters stay in the totals.
      onExit: (w) => this.live?.retire(w),
    });
  }

  /** Connections open across all workers, as the primary counts them. */
  get open(): number {
    return this.guard.open;
  }

  /**
   * Opens the store (applying migrations once, before any worker), starts
   * the workers and waits until each is ready, then listens and starts the
   * web page.
   */
  async start(): Promise<{ host: string; port: number }> {
    const cfg = this.cfg;
    const authority = loadServerAuthority(cfg.authority_secret_key, cfg.authority_public_key);
    const store = await openPoolStore(cfg, { sharedWriters: true });
    this.closeStore = () => store.close();
    let bound: { host: string; port: number };
    try {
      await this.processes.startAll();
      bound = await this.listen();
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.live = new WorkersLive(
      this.workers,
      authority.publicKeyText,
      bound.port,
      cfg.payout_mode,
      cfg.pool_fee_percent,
      cfg.network,
      poolNetwork(cfg),
    );
    this.web = await startPoolWeb(cfg, store, this.live, this.log);
    return bound;
  }

  /** Stops listening, stops every worker (each commits and acknowledges what it has), closes the store. */
  async stop(): Promise<void> {
    const closing =
      this.server === undefined
        ? Promise.resolve()
        : new Promise<void>((done) => this.server!.close(() => done()));
    await this.web?.close();
    await this.processes.stop();
    await closing;
    await this.closeStore?.();
    this.closeStore = undefined;
  }

  // ---- the mining port ----------------------------------------------------------

  private listen(): Promise<{ host: string; port: number }> {
    const { host, port } = this.cfg.listen_address;
    const server = createServer({ pauseOnConnect: true }, (s) => this.accept(s));
    server.on('error', (err) => this.log.error({ err: err.message }, 'mining port error'));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, backlog: 4096 }, () => {
        server.off('error', reject);
        const addr = server.address();
        const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
        this.log.info({ host, port: bound, transport: 'noise', workers: this.count }, 'listening');
        resolve({ host, port: bound });
      });
    });
  }

  private refuse(socket: Socket, ip: string, reason: string): void {
    this.log.warn({ remote: `${ip}:${socket.remotePort ?? 0}`, reason }, 'connection refused');
    socket.on('error', () => {});
    socket.destroy();
  }

  private accept(socket: Socket): void {
    this.processes.handOver(
      socket,
      (ip) => ({ t: 'conn', ip }) satisfies ToPoolWorker,
      (sock, ip, reason) => this.refuse(sock, ip, reason),
    );
  }
}

/** Starts the primary and its workers and keeps them until SIGINT/SIGTERM. */
export async function runPoolWorkers(cfg: PoolConfig, count: number): Promise<PoolPrimary> {
  const logger = createLogger({ role: 'pool', level: cfg.log_level });
  const primary = new PoolPrimary(cfg, count, logger);
  const { host, port } = await primary.start();
  const tp = cfg.template_provider;
  logger.info(
    {
      host,
      port,
      workers: count,
      worker_pids: primary.workers.map((w) => w.pid),
      payout_mode: cfg.payout_mode,
      network: cfg.network,
      template_provider: `${tp.address.host}:${tp.address.port}`,
      database: storeLocation(cfg),
      job_declaration: cfg.job_declaration.enabled,
    },
    'pool ready',
  );
  runUntilSignal(() => primary.stop(), { logger });
  return primary;
}
