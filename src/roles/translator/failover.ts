// Keeps one upstream connection up, moving down the ordered list of pools:
// a lost connection or a failed attempt goes on to the next pool (cycling
// back to the first after the last), with a delay that doubles after each
// failed attempt and starts over once a connection works. It never gives up.
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
}

export interface FailoverEvents {
  up: [conn: UpstreamConnection, index: number];
  down: [reason: string];
}

export class UpstreamFailover extends EventEmitter<FailoverEvents> {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  current: UpstreamConnection | undefined;

  constructor(private readonly o: FailoverOptions) {
    super();
    if (o.targets.length === 0) throw new Error('no upstream configured');
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.close('translator stopping');
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const log = this.o.logger ?? silentLogger;
    const initial = this.o.initialDelayMs ?? 250;
    const max = this.o.maxDelayMs ?? 10_000;
    let delay = initial;
    let index = 0;
    let failures = 0;
    while (!this.stopped) {
      const target = this.o.targets[index]!;
      try {
        const conn = await UpstreamConnection.connect(target, this.o.metrics, log, this.o.extensions);
        if (this.stopped) {
          conn.close('translator stopping');
          break;
        }
        this.current = conn;
        this.o.metrics.upstreamConnects++;
        this.o.metrics.upstream = target.name;
        failures = 0;
        delay = initial;
        log.info({ upstream: target.name, index }, 'upstream connected');
        this.emit('up', conn, index);
        const reason = await conn.closed;
        this.current = undefined;
        this.o.metrics.upstream = '';
        if (this.stopped) break;
        this.o.metrics.upstreamLosses++;
        log.warn({ upstream: target.name, reason }, 'upstream lost; moving to the next one');
        this.emit('down', reason);
      } catch (err) {
        // One line per attempt until one works; the list may be long and an outage long.
        if (failures++ < this.o.targets.length * 2 || failures % 20 === 0) {
          log.warn(
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
}
