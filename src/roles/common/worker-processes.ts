// Worker processes behind one listening port, as the translator and the pool
// run them with `workers = N`. The primary process accepts each connection
// paused, admits it against the limits it alone counts (total, per address,
// allowed_ips) and hands the socket to the ready worker it likes best
// (fewest connections unless the role says otherwise); the worker tells it
// when a connection it was given closes, so the counts hold for the role as
// a whole. A worker that dies is restarted (at once if it had lived a while,
// later each time if it keeps dying young); stopping sends SIGTERM to every
// worker and SIGKILL to one still running after a grace period.
//
// Why handing sockets over rather than the kernel spreading them
// (SO_REUSEPORT) or node:cluster's own distribution: either of those decides
// the worker before anyone can look at the address, so a per-address cap
// would hold only per process (N times the configured one for the whole
// role); and net's reusePort option exists only from Node 22.12/23.1 (not on
// Node 20), on some platforms only (Linux 3.9+ among them; elsewhere listen
// fails). Handing over costs one IPC message per new connection, nothing per
// message on it.
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Logger } from '../../log.js';
import type { ConnectionGuard } from '../../net/guard.js';
import { workerExecArgv } from './worker-flags.js';

/** A worker that lived this long is restarted at once; one that died sooner waits longer each time. */
const STABLE_MS = 10_000;
const RESTART_MAX_MS = 30_000;
/**
 * Stopping: a worker still running after this long is killed; below the
 * primary's own 10 s shutdown grace, so no worker outlives it.
 */
const STOP_GRACE_MS = 8000;

/** One worker process slot: the process in it changes when it is restarted. */
export interface WorkerProcess {
  readonly index: number;
  child: ChildProcess | undefined;
  pid: number | undefined;
  ready: boolean;
  /** Connections handed to it and not closed yet. */
  open: Set<number>;
  startedAt: number;
  restartDelayMs: number;
  restarts: number;
}

export function workerSlot(index: number): WorkerProcess {
  return {
    index,
    child: undefined,
    pid: undefined,
    ready: false,
    open: new Set(),
    startedAt: 0,
    restartDelayMs: 1000,
    restarts: 0,
  };
}

/** What every worker tells its primary; a role's own messages come on top. */
export type WorkerLifecycleMessage = { t: 'ready' } | { t: 'closed'; id: number };

export interface WorkerProcessesOptions<W extends WorkerProcess, M extends { t: string }> {
  /** Names the processes in the log ("translator", "pool"). */
  role: string;
  /** The worker's module. */
  main: string;
  log: Logger;
  guard: ConnectionGuard;
  workers: readonly W[];
  /** The first message a new worker process gets. */
  start(w: W): unknown;
  /** A new process in slot `w` (before its start message): reset the role's own fields. */
  onSpawn?(w: W): void;
  /** A message of the role's own from the process `child` in slot `w`. */
  onMessage?(w: W, child: ChildProcess, msg: M): void;
  /** The process in slot `w` ended (its connections are already released). */
  onExit?(w: W): void;
  /** Whether ready worker `a` is a better pick than `b` (default: fewer open connections). */
  better?(a: W, b: W): boolean;
}

export class WorkerProcesses<W extends WorkerProcess, M extends { t: string }> {
  readonly #o: WorkerProcessesOptions<W, M>;
  readonly #conns = new Map<number, { ip: string; worker: W }>();
  #nextId = 1;
  #stopping = false;

  constructor(options: WorkerProcessesOptions<W, M>) {
    this.#o = options;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Starts every worker; resolves once each is ready, rejects if one exits first. */
  async startAll(): Promise<void> {
    await Promise.all(this.#o.workers.map((w) => this.#spawn(w)));
  }

  /** SIGTERM to every worker (SIGKILL after the grace period); resolves once all have exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#o.workers.map(async (w) => {
        const child = w.child;
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /**
   * Admits an accepted (paused) socket and hands it with `message(id)` to a
   * worker; `refuse` is called for a socket not admitted or when no worker
   * is ready.
   */
  handOver(
    socket: Socket,
    message: (id: number) => unknown,
    refuse: (socket: Socket, ip: string, reason: string) => void,
  ): void {
    const ip = socket.remoteAddress ?? '';
    if (this.#stopping) return void socket.destroy();
    const admission = this.#o.guard.admit(ip);
    if (!admission.ok) return refuse(socket, ip, admission.reason);
    const w = this.#pick();
    if (w === undefined) {
      this.#o.guard.release(ip);
      return refuse(socket, ip, `no ${this.#o.role} worker ready`);
    }
    const id = this.#nextId++;
    this.#conns.set(id, { ip, worker: w });
    w.open.add(id);
    socket.on('error', () => {});
    w.child!.send(message(id) as object, socket, (err) => {
      if (err === null) return;
      this.#closed(id);
      socket.destroy();
    });
  }

  #pick(): W | undefined {
    const better = this.#o.better ?? ((a: W, b: W) => a.open.size < b.open.size);
    let best: W | undefined;
    for (const w of this.#o.workers) {
      if (!w.ready || w.child === undefined) continue;
      if (best === undefined || better(w, best)) best = w;
    }
    return best;
  }

  #closed(id: number): void {
    const c = this.#conns.get(id);
    if (c === undefined) return;
    this.#conns.delete(id);
    c.worker.open.delete(id);
    this.#o.guard.release(c.ip);
  }

  #spawn(w: W): Promise<void> {
    const { role, log } = this.#o;
    const child = fork(this.#o.main, [], {
      stdio: 'inherit',
      serialization: 'json',
      execArgv: workerExecArgv(),
    });
    w.child = child;
    w.pid = child.pid;
    w.ready = false;
    w.startedAt = Date.now();
    this.#o.onSpawn?.(w);
    log.info({ worker: w.index, worker_pid: child.pid }, `${role} worker started`);
    child.send(this.#o.start(w) as object);
    return new Promise<void>((resolve, reject) => {
      child.on('message', (msg: WorkerLifecycleMessage | M) => {
        if (msg.t === 'ready') {
          w.ready = true;
          resolve();
        } else if (msg.t === 'closed') {
          this.#closed((msg as { id: number }).id);
        } else {
          this.#o.onMessage?.(w, child, msg as M);
        }
      });
      child.on('error', (err) => log.error({ worker: w.index, err: err.message }, `${role} worker error`));
      child.once('exit', (code, signal) => {
        const wasReady = w.ready;
        w.ready = false;
        if (w.child === child) w.child = undefined;
        for (const id of [...w.open]) this.#closed(id);
        this.#o.onExit?.(w);
        if (!wasReady) reject(new Error(`${role} worker ${w.index} exited at start (${code ?? signal})`));
        if (this.#stopping || !wasReady) return;
        const lived = Date.now() - w.startedAt;
        w.restartDelayMs =
          lived >= STABLE_MS ? 0 : Math.min(RESTART_MAX_MS, Math.max(1000, w.restartDelayMs * 2));
        w.restarts++;
        log.error(
          {
            worker: w.index,
            worker_pid: child.pid,
            code,
            signal,
            restart_in_ms: w.restartDelayMs,
            restarts: w.restarts,
          },
          `${role} worker exited: restarting it`,
        );
        setTimeout(() => {
          if (this.#stopping) return;
          this.#spawn(w).catch((err: unknown) =>
            log.error(
              { worker: w.index, err: err instanceof Error ? err.message : String(err) },
              `${role} worker restart failed`,
            ),
          );
        }, w.restartDelayMs).unref();
      });
    });
  }
}
