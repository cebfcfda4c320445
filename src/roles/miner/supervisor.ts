// Keeps one upstream session alive: runs it, and when it ends reconnects
// after a growing delay (reset once a session got as far as mining), or at
// once to the endpoint a Reconnect message named.

export interface Endpoint {
  host: string;
  port: number;
}

export interface SessionEnd {
  reason: string;
  /** The session reached the point of receiving work (resets the backoff). */
  established: boolean;
  /** The pool asked to move here (Reconnect / client.reconnect). */
  redirect?: Endpoint;
}

export interface SupervisorOptions {
  initial: Endpoint;
  run: (endpoint: Endpoint) => Promise<SessionEnd>;
  onEnd?: (end: SessionEnd, delayMs: number) => void;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class Supervisor {
  readonly #opts: SupervisorOptions;
  #stopped = false;
  #wake: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
  }

  /** Runs sessions until stop(). */
  async run(): Promise<void> {
    const min = this.#opts.minDelayMs ?? 1000;
    const max = this.#opts.maxDelayMs ?? 30_000;
    let endpoint = this.#opts.initial;
    let delay = min;
    while (!this.#stopped) {
      const end = await this.#opts.run(endpoint);
      if (this.#stopped) break;
      if (end.established) delay = min;
      const wait = end.redirect !== undefined ? 0 : delay;
      if (end.redirect !== undefined) endpoint = end.redirect;
      this.#opts.onEnd?.(end, wait);
      if (end.redirect === undefined) delay = Math.min(max, delay * 2);
      await this.#sleep(wait);
    }
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }
}
