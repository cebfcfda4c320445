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
// The hand-over is the translator's (see translator/workers.ts for why not
// node:cluster or SO_REUSEPORT): a per-address cap must be counted by one
// process, and it costs one IPC message per new connection, nothing per share.
import { fork, type ChildProcess } from 'node:child_process';
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
import { workerExecArgv } from '../common/worker-flags.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));
/** A worker that lived this long is restarted at once; one that died sooner waits longer each time. */
const STABLE_MS = 10_000;
const RESTART_MAX_MS = 30_000;
/**
 * Stopping: a worker still running after this long is killed (it commits
 * its queued shares first); below the primary's own 10 s shutdown grace, so
 * no worker outlives it.
 */
const STOP_GRACE_MS = 8000;
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
  { t: 'start'; index: number; count: number; config: PoolConfig } | { t: 'conn'; id: number };

/** Worker → primary. */
export type FromPoolWorker =
  { t: 'ready'; pid: number } | { t: 'closed'; id: number } | { t: 'live'; live: LiveReport };

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

interface Worker {
  index: number;
  child: ChildProcess | undefined;
  pid: number | undefined;
  ready: boolean;
  /** Connections handed to it and not closed yet. */
  open: Set<number>;
  live: LiveReport | undefined;
  startedAt: number;
  restartDelayMs: number;
  restarts: number;
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
  private readonly conns = new Map<number, { ip: string; worker: Worker }>();
  private server: Server | undefined;
  private web: WebServer | null = null;
  private nextId = 1;
  private stopping = false;
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
    for (let index = 0; index < this.count; index++) {
      this.workers.push({
        index,
        child: undefined,
        pid: undefined,
        ready: false,
        open: new Set(),
        live: undefined,
        startedAt: 0,
        restartDelayMs: 1000,
        restarts: 0,
      });
    }
    let bound: { host: string; port: number };
    try {
      await Promise.all(this.workers.map((w) => this.spawn(w)));
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
    this.stopping = true;
    const closing =
      this.server === undefined
        ? Promise.resolve()
        : new Promise<void>((done) => this.server!.close(() => done()));
    await this.web?.close();
    await Promise.all(
      this.workers.map(async (w) => {
        const child = w.child;
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
    await closing;
    await this.closeStore?.();
    this.closeStore = undefined;
  }

  // ---- workers -----------------------------------------------------------------

  /** Forks worker `w`; resolves once it is ready, rejects if it exits first. */
  private spawn(w: Worker): Promise<void> {
    const child = fork(WORKER_MAIN, [], {
      stdio: 'inherit',
      serialization: 'json',
      execArgv: workerExecArgv(),
    });
    w.child = child;
    w.pid = child.pid;
    w.ready = false;
    w.startedAt = Date.now();
    this.log.info({ worker: w.index, worker_pid: child.pid }, 'pool worker started');
    child.send({ t: 'start', index: w.index, count: this.count, config: this.cfg } satisfies ToPoolWorker);
    return new Promise<void>((resolve, reject) => {
      child.on('message', (msg: FromPoolWorker) => {
        if (msg.t === 'ready') {
          w.ready = true;
          resolve();
        } else if (msg.t === 'closed') {
          this.closed(msg.id);
        } else if (msg.t === 'live') {
          if (w.child === child) w.live = msg.live;
        }
      });
      child.on('error', (err) => this.log.error({ worker: w.index, err: err.message }, 'pool worker error'));
      child.once('exit', (code, signal) => {
        const wasReady = w.ready;
        w.ready = false;
        if (w.child === child) w.child = undefined;
        this.live?.retire(w);
        for (const id of [...w.open]) this.closed(id);
        if (!wasReady) reject(new Error(`pool worker ${w.index} exited at start (${code ?? signal})`));
        if (this.stopping || !wasReady) return;
        const lived = Date.now() - w.startedAt;
        w.restartDelayMs =
          lived >= STABLE_MS ? 0 : Math.min(RESTART_MAX_MS, Math.max(1000, w.restartDelayMs * 2));
        w.restarts++;
        this.log.error(
          {
            worker: w.index,
            worker_pid: child.pid,
            code,
            signal,
            restart_in_ms: w.restartDelayMs,
            restarts: w.restarts,
          },
          'pool worker exited: restarting it',
        );
        setTimeout(() => {
          if (this.stopping) return;
          this.spawn(w).catch((err: unknown) =>
            this.log.error(
              { worker: w.index, err: err instanceof Error ? err.message : String(err) },
              'pool worker restart failed',
            ),
          );
        }, w.restartDelayMs).unref();
      });
    });
  }

  /** The ready worker with the fewest connections. */
  private pick(): Worker | undefined {
    let best: Worker | undefined;
    for (const w of this.workers) {
      if (!w.ready || w.child === undefined) continue;
      if (best === undefined || w.open.size < best.open.size) best = w;
    }
    return best;
  }

  private closed(id: number): void {
    const c = this.conns.get(id);
    if (c === undefined) return;
    this.conns.delete(id);
    c.worker.open.delete(id);
    this.guard.release(c.ip);
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
    const ip = socket.remoteAddress ?? '';
    if (this.stopping) return void socket.destroy();
    const admission = this.guard.admit(ip);
    if (!admission.ok) return this.refuse(socket, ip, admission.reason);
    const w = this.pick();
    if (w === undefined) {
      this.guard.release(ip);
      return this.refuse(socket, ip, 'no pool worker ready');
    }
    const id = this.nextId++;
    this.conns.set(id, { ip, worker: w });
    w.open.add(id);
    socket.on('error', () => {});
    w.child!.send({ t: 'conn', id } satisfies ToPoolWorker, socket, (err) => {
      if (err === null) return;
      this.closed(id);
      socket.destroy();
    });
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
