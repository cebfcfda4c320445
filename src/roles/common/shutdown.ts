// Graceful shutdown for long-running roles: the first SIGINT or SIGTERM runs
// the role's stop() and exits 0; a second signal, or a stop() that hangs,
// exits at once so an operator is never stuck.
import type { Logger } from '../../net/logger.js';

export interface RunUntilSignalOptions {
  logger?: Pick<Logger, 'info' | 'error'>;
  /** Longest wait for stop() before exiting anyway. Default 10 s. */
  graceMs?: number;
  signals?: readonly NodeJS.Signals[];
  /** Replaces process.exit (tests). */
  exit?: (code: number) => void;
}

/** Registers the handlers; returns a function that removes them again. */
export function runUntilSignal(
  stop: () => Promise<void> | void,
  opts: RunUntilSignalOptions = {},
): () => void {
  const signals = opts.signals ?? ['SIGINT', 'SIGTERM'];
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const graceMs = opts.graceMs ?? 10_000;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      opts.logger?.error({ signal }, 'second signal during shutdown: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    opts.logger?.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      opts.logger?.error({ grace_ms: graceMs }, 'shutdown took too long: exiting now');
      exit(1);
    }, graceMs);
    timer.unref();
    void (async () => {
      try {
        await stop();
        clearTimeout(timer);
        opts.logger?.info({}, 'stopped');
        exit(0);
      } catch (err) {
        clearTimeout(timer);
        opts.logger?.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        exit(1);
      }
    })();
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
