// The translator on several cores: `workers = N` runs N translator
// processes behind one set of V1 ports. A primary process owns the
// listening sockets and the connection guard; it accepts each connection
// paused, admits it against the limits (total, per address, allowed_ips),
// and hands the socket to the worker with the fewest open connections
// (preferring workers that have upstream work). Each worker is a whole
// translator with its own upstream connection, channels and failover; it
// tells the primary when a connection it was given closes, so the
// primary's counts, and with them every limit, hold for the translator as
// a whole. The primary restarts a worker that dies, prints the one summary
// line (the workers' counters added up) and stops every worker on SIGTERM.
//
// Why handing sockets over rather than the kernel spreading them
// (SO_REUSEPORT) or node:cluster's own distribution: either of those
// decides the worker before anyone can look at the address, so a per-address
// cap would hold only per process (N times the configured one for the
// whole translator); and net's reusePort option exists only from Node
// 22.12/23.1 (not on Node 20), on some platforms only (Linux 3.9+ among
// them; elsewhere listen fails). Handing over costs one IPC message per new
// connection, nothing per share.
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../../log.js';
import { ConnectionGuard, ipMatcher } from '../../net/guard.js';
import { runUntilSignal } from '../common/shutdown.js';
import type { TranslatorConfig } from './config.js';
import type { ListenSpec } from './translator.js';
import { workerExecArgv } from '../common/worker-flags.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));
/** How long the primary waits for the workers' counters before printing the summary without the late ones. */
const SUMMARY_WAIT_MS = 2000;
/** A worker that lived this long is restarted at once; one that died sooner waits longer each time. */
const STABLE_MS = 10_000;
const RESTART_MAX_MS = 30_000;
/** Stopping: a worker still running after this long is killed. */
const STOP_GRACE_MS = 8000;

/** `workers` of the config: 0 means one per core. */
export function workerCount(configured: number): number {
  return configured > 0 ? configured : availableParallelism();
}

/** Primary → worker. */
export type ToWorker =
  | { t: 'start'; index: number; config: TranslatorConfig }
  | { t: 'conn'; id: number; port: number }
  | { t: 'summary'; seq: number };

/** Worker → primary. */
export type FromWorker =
  | { t: 'ready' }
  | { t: 'closed'; id: number }
  | { t: 'refusing'; refusing: boolean }
  | { t: 'summary'; seq: number; summary: Record<string, unknown> };

interface Worker {
  index: number;
  child: ChildProcess | undefined;
  ready: boolean;
  /** The worker turns miners away for want of upstream work. */
  refusing: boolean;
  /** Connections handed to it and not closed yet. */
  open: Set<number>;
  startedAt: number;
  restartDelayMs: number;
  restarts: number;
}

/**
 * Adds up the workers' summaries: numbers are summed, counters by reason
 * merged, texts (the upstream in use) listed once each.
 */
export function mergeSummaries(list: readonly Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of list) {
    for (const [k, v] of Object.entries(s)) {
      const cur = out[k];
      if (typeof v === 'number') out[k] = (typeof cur === 'number' ? cur : 0) + v;
      else if (typeof v === 'string') {
        const seen = typeof cur === 'string' && cur !== '' ? cur.split(',') : [];
        if (v !== '' && !seen.includes(v)) seen.push(v);
        out[k] = seen.join(',');
      } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const merged = { ...((cur as Record<string, number> | undefined) ?? {}) };
        for (const [r, n] of Object.entries(v as Record<string, number>)) merged[r] = (merged[r] ?? 0) + n;
        out[k] = merged;
      }
    }
  }
  return out;
}

export class TranslatorPrimary {
  private readonly log: Logger;
  private readonly guard: ConnectionGuard;
  private readonly workers: Worker[] = [];
  private readonly servers: Server[] = [];
  private readonly conns = new Map<number, { ip: string; worker: Worker }>();
  private readonly refused = new Map<string, number>();
  private nextId = 1;
  private summarySeq = 0;
  private readonly pendingSummaries = new Map<number, (w: Worker, s: Record<string, unknown>) => void>();
  private summaryTimer: ReturnType<typeof setInterval> | undefined;
  private stopping = false;

  constructor(
    private readonly cfg: TranslatorConfig,
    private readonly count: number,
    logger?: Logger,
  ) {
    this.log = logger ?? createLogger({ role: 'translator', level: cfg.log_level });
    this.guard = new ConnectionGuard({
      maxConnections: cfg.limits.max_connections,
      maxPerIp: cfg.limits.max_connections_per_ip,
      allowed: ipMatcher(cfg.limits.allowed_ips),
    });
  }

  /** Connections open across all workers. */
  get open(): number {
    return this.guard.open;
  }

  /** Starts the workers, waits until each is ready, then listens. */
  async start(): Promise<{ host: string; port: number; kind: string }[]> {
    for (let index = 0; index < this.count; index++) {
      this.workers.push({
        index,
        child: undefined,
        ready: false,
        refusing: false,
        open: new Set(),
        startedAt: 0,
        restartDelayMs: 1000,
        restarts: 0,
      });
    }
    try {
      await Promise.all(this.workers.map((w) => this.spawn(w)));
    } catch (err) {
      await this.stop();
      throw err;
    }
    const bound = [];
    for (const [i, spec] of this.specs().entries()) bound.push(await this.listen(spec, i));
    const ms = this.cfg.summary_interval_secs * 1000;
    if (ms > 0) {
      this.summaryTimer = setInterval(() => void this.summary(), ms);
      this.summaryTimer.unref();
    }
    return bound;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.summaryTimer) clearInterval(this.summaryTimer);
    const closing = this.servers.map((s) => new Promise<void>((done) => s.close(() => done())));
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
    await Promise.all(closing);
  }

  private specs(): ListenSpec[] {
    const c = this.cfg;
    return [
      { address: c.downstream_address, port: c.downstream_port, kind: c.downstream_port_kind },
      ...c.downstream_ports.map((p) => ({
        address: p.address === '' ? c.downstream_address : p.address,
        port: p.port,
        kind: p.kind,
      })),
    ];
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
    w.ready = false;
    w.refusing = false;
    w.startedAt = Date.now();
    this.log.info({ worker: w.index, pid: child.pid }, 'translator worker started');
    child.send({ t: 'start', index: w.index, config: this.cfg } satisfies ToWorker);
    return new Promise<void>((resolve, reject) => {
      child.on('message', (msg: FromWorker) => {
        if (msg.t === 'ready') {
          w.ready = true;
          resolve();
        } else if (msg.t === 'closed') {
          this.closed(msg.id);
        } else if (msg.t === 'refusing') {
          w.refusing = msg.refusing;
        } else if (msg.t === 'summary') {
          this.pendingSummaries.get(msg.seq)?.(w, msg.summary);
        }
      });
      child.on('error', (err) =>
        this.log.error({ worker: w.index, err: err.message }, 'translator worker error'),
      );
      child.once('exit', (code, signal) => {
        const wasReady = w.ready;
        w.ready = false;
        if (w.child === child) w.child = undefined;
        for (const id of [...w.open]) this.closed(id);
        if (!wasReady) reject(new Error(`translator worker ${w.index} exited at start (${code ?? signal})`));
        if (this.stopping || !wasReady) return;
        const lived = Date.now() - w.startedAt;
        w.restartDelayMs =
          lived >= STABLE_MS ? 0 : Math.min(RESTART_MAX_MS, Math.max(1000, w.restartDelayMs * 2));
        w.restarts++;
        this.log.error(
          { worker: w.index, code, signal, restart_in_ms: w.restartDelayMs, restarts: w.restarts },
          'translator worker exited: restarting it',
        );
        setTimeout(() => {
          if (this.stopping) return;
          this.spawn(w).catch((err: unknown) =>
            this.log.error(
              { worker: w.index, err: err instanceof Error ? err.message : String(err) },
              'translator worker restart failed',
            ),
          );
        }, w.restartDelayMs).unref();
      });
    });
  }

  /** The ready worker with the fewest connections, those with upstream work first. */
  private pick(): Worker | undefined {
    let best: Worker | undefined;
    for (const w of this.workers) {
      if (!w.ready || w.child === undefined) continue;
      if (
        best === undefined ||
        (best.refusing && !w.refusing) ||
        (best.refusing === w.refusing && w.open.size < best.open.size)
      )
        best = w;
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

  // ---- listeners -----------------------------------------------------------------

  private listen(spec: ListenSpec, index: number): Promise<{ host: string; port: number; kind: string }> {
    const server = createServer({ pauseOnConnect: true }, (s) => this.accept(s, index));
    server.on('error', (err) => this.log.error({ err: err.message }, 'SV1 listener error'));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: spec.port, host: spec.address, backlog: 4096 }, () => {
        server.off('error', reject);
        const addr = server.address();
        const port = typeof addr === 'object' && addr !== null ? addr.port : spec.port;
        this.log.info({ host: spec.address, port, kind: spec.kind, workers: this.count }, 'listening');
        resolve({ host: spec.address, port, kind: spec.kind });
      });
    });
  }

  private refuse(socket: Socket, ip: string, reason: string): void {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
    this.log.warn({ peer: `${ip}:${socket.remotePort ?? 0}`, reason }, 'connection refused');
    socket.on('error', () => {});
    socket.destroy();
  }

  private accept(socket: Socket, port: number): void {
    const ip = socket.remoteAddress ?? '';
    if (this.stopping) return void socket.destroy();
    const admission = this.guard.admit(ip);
    if (!admission.ok) return this.refuse(socket, ip, admission.reason);
    const w = this.pick();
    if (w === undefined) {
      this.guard.release(ip);
      return this.refuse(socket, ip, 'no translator worker ready');
    }
    const id = this.nextId++;
    this.conns.set(id, { ip, worker: w });
    w.open.add(id);
    socket.on('error', () => {});
    w.child!.send({ t: 'conn', id, port } satisfies ToWorker, socket, (err) => {
      if (err === null) return;
      this.closed(id);
      socket.destroy();
    });
  }

  // ---- summary -----------------------------------------------------------------

  /** Asks every ready worker for its counters and prints them added up as one line. */
  async summary(): Promise<Record<string, unknown>> {
    const seq = ++this.summarySeq;
    const ready = this.workers.filter((w) => w.ready && w.child !== undefined);
    const got = new Map<Worker, Record<string, unknown>>();
    await new Promise<void>((done) => {
      const timer = setTimeout(done, SUMMARY_WAIT_MS);
      timer.unref();
      this.pendingSummaries.set(seq, (w, s) => {
        got.set(w, s);
        if (got.size >= ready.length) {
          clearTimeout(timer);
          done();
        }
      });
      for (const w of ready) w.child!.send({ t: 'summary', seq } satisfies ToWorker);
      if (ready.length === 0) {
        clearTimeout(timer);
        done();
      }
    });
    this.pendingSummaries.delete(seq);
    const list = [...got.entries()].sort((a, b) => a[0].index - b[0].index);
    const total = mergeSummaries(list.map(([, s]) => s));
    const refused = { ...((total.connections_refused as Record<string, number> | undefined) ?? {}) };
    for (const [r, n] of this.refused) refused[r] = (refused[r] ?? 0) + n;
    const line = {
      ...total,
      connections_refused: refused,
      connections_open: this.guard.open,
      workers: this.count,
      workers_answering: list.length,
      per_worker: list.map(([w, s]) => ({
        worker: w.index,
        miners: s.miners,
        connections_accepted: s.connections_accepted,
        upstream: s.upstream,
        restarts: w.restarts,
      })),
    };
    if (!this.stopping) this.log.info(line, 'summary');
    return line;
  }
}

/** Starts the primary and its workers and keeps them until SIGINT/SIGTERM. */
export async function runTranslatorWorkers(cfg: TranslatorConfig, count: number): Promise<TranslatorPrimary> {
  const logger = createLogger({ role: 'translator', level: cfg.log_level });
  const primary = new TranslatorPrimary(cfg, count, logger);
  const ports = await primary.start();
  logger.info(
    {
      ports: ports.map((p) => `${p.host}:${p.port}/${p.kind}`),
      upstreams: cfg.upstreams.map((u) => `${u.address}:${u.port}`),
      workers: count,
      aggregate_channels: cfg.aggregate_channels,
      verify_accounts: cfg.verify_accounts,
      failback_secs: cfg.failback_secs,
    },
    'translator ready',
  );
  runUntilSignal(() => primary.stop(), { logger });
  return primary;
}
