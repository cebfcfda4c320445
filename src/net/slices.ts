// CPU work that arrives in bursts (Noise handshakes when thousands of
// devices reconnect at once, connections handed to worker processes) run in
// slices: queued pieces run one after another for at most `budgetMs`, then
// the event loop gets a turn (timers, the reads and writes of peers already
// connected) before the next slice. Without it one poll phase can run every
// ready handshake back to back, and a connected miner's share waits for all
// of them. Pieces run in the order they were queued; a piece that throws
// rejects its own promise only.

/** Default slice length: short next to the 100 ms a miner notices, long next to one handshake (about 1 ms). */
export const DEFAULT_SLICE_MS = 5;

interface Piece {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export class Slices {
  readonly #budgetMs: number;
  readonly #now: () => number;
  #queue: Piece[] = [];
  #head = 0;
  #scheduled = false;

  constructor(budgetMs = DEFAULT_SLICE_MS, now: () => number = () => performance.now()) {
    if (!(budgetMs > 0)) throw new RangeError('slice budget must be positive');
    this.#budgetMs = budgetMs;
    this.#now = now;
  }

  /** Pieces queued and not yet run. */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  /** Runs `piece` in a coming slice; resolves with what it returns, rejects with what it throws. */
  run<T>(piece: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: piece, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#slice());
      }
    });
  }

  #slice(): void {
    const start = this.#now();
    do {
      const p = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as Piece;
      try {
        p.resolve(p.run());
      } catch (err) {
        p.reject(err);
      }
    } while (this.#head < this.#queue.length && this.#now() - start < this.#budgetMs);
    if (this.#head < this.#queue.length) {
      setImmediate(() => this.#slice());
      return;
    }
    this.#queue = [];
    this.#head = 0;
    this.#scheduled = false;
  }
}
