// The hashing engine: N worker threads, each mining its own slice of the
// nonce space of the current work, so no two threads ever try the same
// header. The protocol clients only hand it work and read shares back.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { NONCE_SPACE, type FoundShare, type Work } from './search.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

export interface EngineOptions {
  threads: number;
  onShare: (share: FoundShare) => void;
  /** A worker thread failed; the engine is unusable afterwards. */
  onError?: (err: Error) => void;
  /** At most this many hashes per second over all threads together (each thread gets its share). */
  maxHashrate?: number;
}

/** Default thread count: all cores but one, at least one. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class HashEngine {
  readonly threads: number;
  readonly #opts: EngineOptions;
  readonly #workers: Worker[] = [];
  #hashes = 0;
  #total = 0;
  #work: Work | null = null;
  #stopped = false;

  constructor(opts: EngineOptions) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1 || opts.threads > 1024)
      throw new RangeError(`threads must be an integer from 1 to 1024, got ${opts.threads}`);
    const max = opts.maxHashrate;
    if (max !== undefined && !(Number.isFinite(max) && max > 0))
      throw new RangeError(`maxHashrate must be a positive number, got ${max}`);
    this.threads = opts.threads;
    this.#opts = opts;
  }

  /** Starts the threads and resolves once all are running. */
  async start(): Promise<void> {
    const url = new URL('./worker.js', import.meta.url);
    const online: Promise<void>[] = [];
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(url);
      this.#workers.push(w);
      if (this.#opts.maxHashrate !== undefined)
        this.#post(w, { type: 'limit', hashesPerSecond: this.#opts.maxHashrate / this.threads });
      w.on('message', (m: FromWorker) => this.#onMessage(m));
      w.on('error', (err) => {
        if (!this.#stopped) this.#opts.onError?.(err);
      });
      online.push(
        new Promise((resolve, reject) => {
          w.once('online', () => resolve());
          w.once('error', reject);
        }),
      );
    }
    await Promise.all(online);
  }

  get work(): Work | null {
    return this.#work;
  }

  /** Replaces the work of every thread (null: idle). */
  setWork(work: Work | null): void {
    this.#work = work;
    const n = this.#workers.length;
    this.#workers.forEach((w, i) => {
      const nonceStart = Math.floor((i * NONCE_SPACE) / n);
      const nonceEnd = Math.floor(((i + 1) * NONCE_SPACE) / n);
      this.#post(w, { type: 'work', work, nonceStart, nonceEnd });
    });
  }

  /** Changes the share target of the current work without restarting its search. */
  setTarget(target: Uint8Array): void {
    const work = this.#work;
    if (work === null) return;
    work.target = target;
    for (const w of this.#workers) this.#post(w, { type: 'target', workId: work.id, target });
  }

  /** Hashes done since the previous call. */
  takeHashes(): number {
    const h = this.#hashes;
    this.#hashes = 0;
    return h;
  }

  get totalHashes(): number {
    return this.#total;
  }

  /** Terminates every thread. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  #post(w: Worker, m: ToWorker): void {
    if (!this.#stopped) w.postMessage(m);
  }

  #onMessage(m: FromWorker): void {
    if (this.#stopped) return;
    if (m.type === 'hashes') {
      this.#hashes += m.count;
      this.#total += m.count;
    } else {
      for (const s of m.shares) this.#opts.onShare(s);
    }
  }
}

/** Runs the engine on a target nothing meets for `ms` milliseconds and returns hashes per second. */
export async function measureHashrate(engine: HashEngine, ms: number, now = Date.now): Promise<number> {
  const header = new Uint8Array(80);
  header[0] = 0x20;
  const start = now();
  engine.setWork({
    id: -1,
    header,
    target: new Uint8Array(32),
    versionMask: 0,
    ntimeBase: Math.floor(start / 1000),
    ntimeAnchorMs: start,
  });
  engine.takeHashes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  // The threads report a few times a second: count what arrived over the window.
  const hashes = engine.takeHashes();
  const elapsed = now() - start;
  engine.setWork(null);
  return elapsed > 0 ? (hashes * 1000) / elapsed : 0;
}
