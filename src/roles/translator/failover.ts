// Keeps one upstream connection up, moving down the ordered list of pools:
// a lost connection or a failed attempt goes on to the next pool (cycling
// back to the first after the last), with a delay that doubles after each
// failed attempt and starts over once a connection works. It never gives up.
//
// Failback: while on any pool but the first, the pools ahead of it in the
// list are tried in the background. One that connects and stays up for
// `failbackMs` is offered as a `candidate`; the owner moves its miners onto
// it and calls promote() (or closes it to turn it down). The connection it
// replaces is closed `drainMs` later, once shares still on their way to it
// have been sent.
import { EventEmitter } from 'node:events';
import { type Logger, silentLogger } from '../../net/logger.js';
import type { TranslatorMetrics } from './metrics.js';
import { UpstreamConnection, type ExtensionWishes, type UpstreamTarget } from './upstream.js';

export interface FailoverOptions {
  targets: readonly UpstreamTarget[];
  metrics: TranslatorMetrics;
  logger?: Logger;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Asked of every pool after SetupConnection. */
  extensions?: ExtensionWishes;
  /** Longest wait for a pool's acknowledgement of a share (UpstreamConnection's default when unset). */
  shareAckTimeoutMs?: number;
  /** How long a pool ahead in the list must stay up before it is offered; 0 = never go back. */
  failbackMs?: number;
  /** How often the pools ahead are tried while none is up (default 10 s). */
  failbackRetryMs?: number;
  /** How long the replaced connection stays open after a promotion (default 5 s). */
  drainMs?: number;
  /** How long a candidate waits for promote() before it is dropped (default 30 s). */
  promoteTimeoutMs?: number;
}

export interface FailoverEvents {
  up: [conn: UpstreamConnection, index: number];
  down: [reason: string];
  /** A pool ahead of the current one has been up for failbackMs: move to it, then promote(). */
  candidate: [conn: UpstreamConnection, index: number];
}

type Watch = { kind: 'lost'; reason: string } | { kind: 'promoted'; conn: UpstreamConnection; index: number };

export class UpstreamFailover extends EventEmitter<FailoverEvents> {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly sleeps = new Set<() => void>();
  private offered: { conn: UpstreamConnection; accept: () => void } | undefined;
  private readonly retired = new Set<UpstreamConnection>();
  current: UpstreamConnection | undefined;
  /** Index of the current pool in the list. */
  currentIndex = -1;

  constructor(private readonly o: FailoverOptions) {
    super();
    if (o.targets.length === 0) throw new Error('no upstream configured');
  }

  private get log(): Logger {
    return this.o.logger ?? silentLogger;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.close('translator stopping');
    this.offered?.conn.close('translator stopping');
    for (const c of this.retired) c.close('translator stopping');
    this.wake?.();
    for (const w of [...this.sleeps]) w();
    await this.loop;
  }

  /** The owner moved onto the offered candidate: it becomes the current connection. */
  promote(conn: UpstreamConnection): void {
    if (this.offered?.conn === conn) this.offered.accept();
  }

  private async run(): Promise<void> {
    const initial = this.o.initialDelayMs ?? 250;
    const max = this.o.maxDelayMs ?? 10_000;
    let delay = initial;
    let index = 0;
    let failures = 0;
    while (!this.stopped) {
      const target = this.o.targets[index]!;
      try {
        const conn = await this.connect(target);
        if (this.stopped) {
          conn.close('translator stopping');
          break;
        }
        failures = 0;
        delay = initial;
        this.setCurrent(conn, index);
        this.emit('up', conn, index);
        let watch = await this.watch(conn, index);
        while (watch.kind === 'promoted') {
          const old = conn;
          this.retire(old, `returned to ${watch.conn.target.name}`);
          this.setCurrent(watch.conn, watch.index);
          index = watch.index;
          watch = await this.watch(watch.conn, index);
        }
        const lost = this.o.targets[index]!;
        this.offered?.conn.close('current pool lost');
        this.current = undefined;
        this.currentIndex = -1;
        this.o.metrics.upstream = '';
        if (this.stopped) break;
        this.o.metrics.upstreamLosses++;
        this.log.warn({ upstream: lost.name, reason: watch.reason }, 'upstream lost; moving to the next one');
        this.emit('down', watch.reason);
      } catch (err) {
        // One line per attempt until one works; the list may be long and an outage long.
        if (failures++ < this.o.targets.length * 2 || failures % 20 === 0) {
          this.log.warn(
            { upstream: target.name, reason: err instanceof Error ? err.message : String(err), failures },
            'upstream connection failed',
          );
        }
        delay = Math.min(max, failures === 1 ? initial : delay * 2);
      }
      index = (index + 1) % this.o.targets.length;
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private connect(target: UpstreamTarget): Promise<UpstreamConnection> {
    return UpstreamConnection.connect(
      target,
      this.o.metrics,
      this.log,
      this.o.extensions,
      this.o.shareAckTimeoutMs,
    );
  }

  private setCurrent(conn: UpstreamConnection, index: number): void {
    const target = this.o.targets[index]!;
    this.current = conn;
    this.currentIndex = index;
    this.o.metrics.upstreamConnects++;
    this.o.metrics.upstream = target.name;
    this.log.info({ upstream: target.name, index }, 'upstream connected');
  }

  /** Closes a replaced connection once shares on their way to it have gone out. */
  private retire(conn: UpstreamConnection, reason: string): void {
    this.retired.add(conn);
    const timer = setTimeout(() => conn.close(reason), this.o.drainMs ?? 5000);
    timer.unref();
    void conn.closed.then(() => {
      clearTimeout(timer);
      this.retired.delete(conn);
    });
  }

  /** Until `conn` is lost, or (failback) a pool ahead of it was promoted. */
  private async watch(conn: UpstreamConnection, index: number): Promise<Watch> {
    const lost = conn.closed.then((reason): Watch => ({ kind: 'lost', reason }));
    const failbackMs = this.o.failbackMs ?? 0;
    if (index === 0 || failbackMs <= 0) return lost;
    let gone = false;
    void conn.closed.then(() => {
      gone = true;
      for (const w of [...this.sleeps]) w();
    });
    const back = this.failback(index, failbackMs, () => gone || this.stopped);
    const winner = await Promise.race([lost, back]);
    if (winner !== undefined) return winner;
    // The failback loop ended without a promotion: the connection was lost.
    return lost;
  }

  /** Tries the pools ahead of `index` until one is promoted (or `over()`); undefined when over. */
  private async failback(index: number, failbackMs: number, over: () => boolean): Promise<Watch | undefined> {
    const retryMs = this.o.failbackRetryMs ?? 10_000;
    let misses = 0;
    while (!over()) {
      for (let i = 0; i < index && !over(); i++) {
        const target = this.o.targets[i]!;
        let cand: UpstreamConnection;
        try {
          cand = await this.connect(target);
        } catch (err) {
          // A line for the first miss, then one every 30 attempts (5 minutes by default).
          if (misses++ % 30 === 0) {
            this.log.info(
              { upstream: target.name, reason: err instanceof Error ? err.message : String(err) },
              'preferred pool still unreachable',
            );
          }
          continue;
        }
        if (over()) {
          cand.close('failback abandoned');
          break;
        }
        this.log.info(
          { upstream: target.name, seconds: failbackMs / 1000 },
          'preferred pool is back; watching it',
        );
        const steady = await Promise.race([
          this.sleep(failbackMs).then(() => true),
          cand.closed.then(() => false),
        ]);
        if (!steady || over()) {
          cand.close('failback abandoned');
          if (!steady) this.log.info({ upstream: target.name }, 'preferred pool dropped again');
          break;
        }
        const promoted = await this.offer(cand, i);
        if (promoted) return { kind: 'promoted', conn: cand, index: i };
        cand.close('candidate not taken');
        break;
      }
      await this.sleep(retryMs);
    }
    return undefined;
  }

  /** Emits `candidate` and waits for promote(), the candidate's loss or a timeout. */
  private offer(conn: UpstreamConnection, index: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => settle(false), this.o.promoteTimeoutMs ?? 30_000);
      const settle = (ok: boolean) => {
        clearTimeout(timer);
        if (this.offered?.conn === conn) this.offered = undefined;
        resolve(ok);
      };
      this.offered = { conn, accept: () => settle(true) };
      void conn.closed.then(() => settle(false));
      this.emit('candidate', conn, index);
    });
  }

  /** A sleep that stop() and a lost connection cut short. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleeps.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleeps.add(done);
    });
  }
}
