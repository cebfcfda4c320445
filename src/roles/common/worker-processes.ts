// Worker processes behind one listening port, as the translator and the pool
// run them with `workers = N`. The primary process alone counts
// connections against the limits (total, per address, allowed_ips); the
// workers tell it when a connection ends, so the counts hold for the role
// as a whole. A worker that dies is restarted (at once if it had lived a
// while, later each time if it keeps dying young); stopping sends SIGTERM
// to every worker and SIGKILL to one still running after a grace period.
//
// Two ways to get connections to the workers:
//
// - handed (the pool): the primary accepts each connection paused, admits
//   it and hands the socket to the ready worker it likes best (fewest
//   connections unless the role says otherwise). One IPC message and one
//   handle per connection; the primary holds each socket until its worker
//   has taken it, which in a burst of connections is thousands at once.
// - shared listeners (the translator): the workers listen on the port
//   themselves, through node:cluster with its scheduling off (SCHED_NONE),
//   so the primary only holds the bound socket and the kernel gives each
//   new connection to one of the workers waiting on it. A worker asks the
//   primary to admit each connection ("admit", with the peer's address)
//   before it reads a byte, and serves or closes it on the answer. The
//   primary holds nothing per connection but its counts; two small
//   messages per new connection.
//
// Neither lets the kernel decide alone (SO_REUSEPORT, or cluster's own
// scheduling without the admission question): a per-address cap would then
// hold only per process (N times the configured one for the whole role);
// and net's reusePort option exists only from Node 22.12/23.1 (not on Node
// 20), on some platforms only. Either way nothing is sent per message on a
// connection.
import { fork, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import type { Logger } from '../../log.js';
import type { ConnectionGuard } from '../../net/guard.js';
import { workerExecArgv, type WorkerHeap } from './worker-flags.js';

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
  /** Its connections not closed yet, by peer address: what the primary releases if it dies. */
  open: Map<string, number>;
  /** How many that is. */
  connections: number;
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
    open: new Map(),
    connections: 0,
    startedAt: 0,
    restartDelayMs: 1000,
    restarts: 0,
  };
}

/** What every worker tells its primary; a role's own messages come on top. */
export type WorkerLifecycleMessage =
  /**
   * Shared listeners: the worker listens for its start message now. (A
   * cluster worker's IPC channel is open before its module runs, so a
   * message sent at once could come before anyone listens for it.)
   */
  | { t: 'waiting' }
  | { t: 'ready' }
  /** A connection the primary admitted has ended: `ip` as the primary named it (admit, or hand-over). */
  | { t: 'closed'; ip: string }
  /** Shared listeners: may the connection the worker calls `key`, from `ip`, be served? */
  | { t: 'admit'; key: number; ip: string; remotePort: number };

/** The primary's answer to `admit`. */
export type AdmitReply = { t: 'admitted'; key: number } | { t: 'refused'; key: number };

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
  /**
   * The workers listen themselves (node:cluster, SCHED_NONE) and ask for
   * admission; handOver() is then not used.
   */
  sharedListeners?: boolean;
  /** The workers' heap flags (default: worker-flags.ts WORKER_HEAP). */
  heap?: WorkerHeap;
  /** Shared listeners: a connection was not admitted (log and count it). */
  onRefused?(ip: string, remotePort: number, reason: string): void;
}

export class WorkerProcesses<W extends WorkerProcess, M extends { t: string }> {
  readonly #o: WorkerProcessesOptions<W, M>;
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
   * Admits an accepted (paused) socket and hands it with `message(ip)` to a
   * worker, which names `ip` again when the connection closes; `refuse` is
   * called for a socket not admitted or when no worker is ready.
   */
  handOver(
    socket: Socket,
    message: (ip: string) => unknown,
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
    this.#opened(w, ip);
    socket.on('error', () => {});
    w.child!.send(message(ip) as object, socket, (err) => {
      if (err === null) return;
      this.#closed(w, ip);
      socket.destroy();
    });
  }

  #pick(): W | undefined {
    const better = this.#o.better ?? ((a: W, b: W) => a.connections < b.connections);
    let best: W | undefined;
    for (const w of this.#o.workers) {
      if (!w.ready || w.child === undefined) continue;
      if (best === undefined || better(w, best)) best = w;
    }
    return best;
  }

  /** Shared listeners: answers a worker's `admit` for one connection. */
  #admit(w: W, child: ChildProcess, msg: Extract<WorkerLifecycleMessage, { t: 'admit' }>): void {
    const answer = (reply: AdmitReply) => {
      if (child.connected) child.send(reply, undefined, {}, () => {});
    };
    // A process that has been replaced or is going away gets no new connection.
    if (this.#stopping || w.child !== child) return answer({ t: 'refused', key: msg.key });
    const admission = this.#o.guard.admit(msg.ip);
    if (!admission.ok) {
      this.#o.onRefused?.(msg.ip, msg.remotePort, admission.reason);
      return answer({ t: 'refused', key: msg.key });
    }
    this.#opened(w, msg.ip);
    answer({ t: 'admitted', key: msg.key });
  }

  /**
   * An admitted connection from `ip`, served by `w`. The primary keeps
   * counts only, per worker and address, not a record per connection: a
   * burst of thousands of connections costs it nothing that stays.
   */
  #opened(w: W, ip: string): void {
    w.open.set(ip, (w.open.get(ip) ?? 0) + 1);
    w.connections++;
  }

  /** One of `w`'s connections from `ip` ended (a name it was not given is ignored). */
  #closed(w: W, ip: string, count = 1): void {
    const open = w.open.get(ip) ?? 0;
    const n = Math.min(open, count);
    if (n === 0) return;
    if (open === n) w.open.delete(ip);
    else w.open.set(ip, open - n);
    w.connections -= n;
    for (let i = 0; i < n; i++) this.#o.guard.release(ip);
  }

  #spawn(w: W): Promise<void> {
    const { role, log } = this.#o;
    const shared = this.#o.sharedListeners === true;
    const execArgv = workerExecArgv(undefined, undefined, this.#o.heap);
    const child = shared
      ? clusterFork(this.#o.main, execArgv)
      : fork(this.#o.main, [], { stdio: 'inherit', serialization: 'json', execArgv });
    w.child = child;
    w.pid = child.pid;
    w.ready = false;
    w.startedAt = Date.now();
    this.#o.onSpawn?.(w);
    log.info({ worker: w.index, worker_pid: child.pid }, `${role} worker started`);
    if (!shared) child.send(this.#o.start(w) as object);
    return new Promise<void>((resolve, reject) => {
      child.on('message', (msg: WorkerLifecycleMessage | M) => {
        if (msg.t === 'waiting' && shared) {
          child.send(this.#o.start(w) as object);
        } else if (msg.t === 'ready') {
          w.ready = true;
          resolve();
        } else if (msg.t === 'closed') {
          // A process that is gone had all its connections released at its exit.
          if (w.child === child) this.#closed(w, (msg as { ip: string }).ip);
        } else if (msg.t === 'admit' && shared) {
          this.#admit(w, child, msg as Extract<WorkerLifecycleMessage, { t: 'admit' }>);
        } else {
          this.#o.onMessage?.(w, child, msg as M);
        }
      });
      child.on('error', (err) => log.error({ worker: w.index, err: err.message }, `${role} worker error`));
      child.once('exit', (code, signal) => {
        const wasReady = w.ready;
        w.ready = false;
        if (w.child === child) w.child = undefined;
        for (const [ip, n] of [...w.open]) this.#closed(w, ip, n);
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

/**
 * Forks a worker through node:cluster with its scheduling off: the worker's
 * listen() on a port shares the primary's bound socket, and the kernel
 * gives each connection to one of the processes accepting on it.
 */
function clusterFork(main: string, execArgv: string[]): ChildProcess {
  if (cluster.schedulingPolicy !== cluster.SCHED_NONE) cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: main, args: [], execArgv, serialization: 'json', silent: false });
  return cluster.fork().process;
}
