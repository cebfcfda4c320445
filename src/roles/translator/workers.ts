// The translator on several cores: `workers = N` runs N translator
// processes behind one set of V1 ports. Each worker is a whole translator
// with its own upstream connection, channels and failover, and listens on
// the ports itself: they are shared through node:cluster with its
// scheduling off, so the kernel gives each new connection to one of the
// workers waiting on the port. The primary process holds the bound
// sockets and the connection guard: a worker asks it to admit each
// connection against the limits (total, per address, allowed_ips) before
// reading a byte, and tells it when one closes, so the primary's counts,
// and with them every limit, hold for the translator as a whole. The
// primary restarts a worker that dies, prints the one summary line (the
// workers' counters added up) and stops every worker on SIGTERM.
//
// Why the workers listen rather than the primary handing sockets over (as
// the pool's primary does), and how workers are restarted and stopped:
// roles/common/worker-processes.ts.
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../../log.js';
import { ConnectionGuard, ipMatcher } from '../../net/guard.js';
import { upstreamSecurity } from '../common/authority.js';
import { runUntilSignal } from '../common/shutdown.js';
import { LEAN_HEAP, leanPrimaryHeap } from '../common/worker-flags.js';
import {
  WorkerProcesses,
  workerSlot,
  type WorkerLifecycleMessage,
  type WorkerProcess,
} from '../common/worker-processes.js';
import type { TranslatorConfig } from './config.js';
import type { BoundPort } from './translator.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));
/** How long the primary waits for the workers' counters before printing the summary without the late ones. */
const SUMMARY_WAIT_MS = 2000;

/** Primary → worker. */
export type ToWorker =
  { t: 'start'; index: number; config: TranslatorConfig } | { t: 'summary'; seq: number };

/** Worker → primary. */
export type FromWorker =
  | WorkerLifecycleMessage
  /** The ports it listens on (the same for every worker), before `ready`. */
  | { t: 'listening'; ports: BoundPort[] }
  | { t: 'summary'; seq: number; summary: Record<string, unknown> };

type Worker = WorkerProcess;

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
  private readonly processes: WorkerProcesses<Worker, Extract<FromWorker, { t: 'listening' | 'summary' }>>;
  private ports: BoundPort[] = [];
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
    for (let index = 0; index < count; index++) this.workers.push(workerSlot(index));
    this.processes = new WorkerProcesses({
      role: 'translator',
      main: WORKER_MAIN,
      log: this.log,
      guard: this.guard,
      workers: this.workers,
      start: (w) => ({ t: 'start', index: w.index, config: cfg }) satisfies ToWorker,
      onMessage: (w, _child, msg) => {
        if (msg.t === 'listening') this.ports = msg.ports;
        else this.pendingSummaries.get(msg.seq)?.(w, msg.summary);
      },
      sharedListeners: true,
      heap: LEAN_HEAP,
      onRefused: (ip, remotePort, reason) => this.refuse(ip, remotePort, reason),
    });
  }

  /** Connections open across all workers. */
  get open(): number {
    return this.guard.open;
  }

  /** Starts the workers and resolves once each is ready (listening); the ports they listen on. */
  async start(): Promise<BoundPort[]> {
    try {
      await this.processes.startAll();
    } catch (err) {
      await this.stop();
      throw err;
    }
    const ms = this.cfg.summary_interval_secs * 1000;
    if (ms > 0) {
      this.summaryTimer = setInterval(() => void this.summary(), ms);
      this.summaryTimer.unref();
    }
    return this.ports;
  }

  async stop(): Promise<void> {
    if (this.summaryTimer) clearInterval(this.summaryTimer);
    await this.processes.stop();
  }

  /** A connection a worker asked about was not admitted. */
  private refuse(ip: string, remotePort: number, reason: string): void {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
    this.log.warn({ peer: `${ip}:${remotePort}`, reason }, 'connection refused');
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
  // The pools' keys are checked before any worker starts: a bad key file is
  // one clear error here rather than every worker dying at its start.
  for (const u of cfg.upstreams) upstreamSecurity('noise', u.authority_pubkey);
  const logger = createLogger({ role: 'translator', level: cfg.log_level });
  const lean = leanPrimaryHeap();
  if (lean.length > 0) logger.debug({ v8_flags: lean }, 'primary heap settings');
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
