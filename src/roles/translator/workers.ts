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
// Why handing sockets over rather than SO_REUSEPORT or node:cluster, and
// how workers are restarted and stopped: roles/common/worker-processes.ts.
import { createServer, type Server, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../../log.js';
import { ConnectionGuard, ipMatcher } from '../../net/guard.js';
import { runUntilSignal } from '../common/shutdown.js';
import { WorkerProcesses, workerSlot, type WorkerProcess } from '../common/worker-processes.js';
import type { TranslatorConfig } from './config.js';
import type { ListenSpec } from './translator.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));
/** How long the primary waits for the workers' counters before printing the summary without the late ones. */
const SUMMARY_WAIT_MS = 2000;

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

interface Worker extends WorkerProcess {
  /** The worker turns miners away for want of upstream work. */
  refusing: boolean;
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
  private readonly processes: WorkerProcesses<Worker, Extract<FromWorker, { t: 'refusing' | 'summary' }>>;
  private readonly servers: Server[] = [];
  private readonly refused = new Map<string, number>();
  private summarySeq = 0;
  private readonly pendingSummaries = new Map<number, (w: Worker, s: Record<string, unknown>) => void>();
  private summaryTimer: ReturnType<typeof setInterval> | undefined;

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
    for (let index = 0; index < count; index++) this.workers.push({ ...workerSlot(index), refusing: false });
    this.processes = new WorkerProcesses({
      role: 'translator',
      main: WORKER_MAIN,
      log: this.log,
      guard: this.guard,
      workers: this.workers,
      start: (w) => ({ t: 'start', index: w.index, config: cfg }) satisfies ToWorker,
      onSpawn: (w) => (w.refusing = false),
      onMessage: (w, child, msg) => {
        if (msg.t === 'refusing') {
          if (w.child === child) w.refusing = msg.refusing;
        } else this.pendingSummaries.get(msg.seq)?.(w, msg.summary);
      },
      // The fewest connections, those with upstream work first.
      better: (a, b) =>
        (b.refusing && !a.refusing) || (b.refusing === a.refusing && a.open.size < b.open.size),
    });
  }

  /** Connections open across all workers. */
  get open(): number {
    return this.guard.open;
  }

  /** Starts the workers, waits until each is ready, then listens. */
  async start(): Promise<{ host: string; port: number; kind: string }[]> {
    try {
      await this.processes.startAll();
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
    if (this.summaryTimer) clearInterval(this.summaryTimer);
    const closing = this.servers.map((s) => new Promise<void>((done) => s.close(() => done())));
    await this.processes.stop();
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
    this.processes.handOver(
      socket,
      (id) => ({ t: 'conn', id, port }) satisfies ToWorker,
      (sock, ip, reason) => this.refuse(sock, ip, reason),
    );
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
    if (!this.processes.stopping) this.log.info(line, 'summary');
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
