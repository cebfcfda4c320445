// Batching writer: callers enqueue items and get a promise that settles once
// the item's batch has been committed (or has failed). A batch is committed
// when `max_batch` items are waiting, when the flush timer fires
// (`flush_interval_ms` after the first item of a batch), or on flush().
// Batches commit one at a time, in order: items that arrive while a commit
// runs wait for the next batch.

export interface BatchWriterOptions {
  /** Milliseconds an item may wait before its batch is committed (default 50). */
  flush_interval_ms?: number;
  /** Items that trigger an immediate commit (default 1000). */
  max_batch?: number;
}

/** Commits a batch in one transaction and resolves with one result per item, or rejects. */
export type CommitBatch<T, R> = (items: readonly T[]) => Promise<R[]>;

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class BatchWriter<T, R> {
  private queue: Pending<T, R>[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** The commits under way, in order (each flush waits for the previous one). */
  private committing: Promise<number> = Promise.resolve(0);
  readonly flush_interval_ms: number;
  readonly max_batch: number;

  constructor(
    private readonly commit: CommitBatch<T, R>,
    options: BatchWriterOptions = {},
  ) {
    this.flush_interval_ms = options.flush_interval_ms ?? 50;
    this.max_batch = options.max_batch ?? 1000;
    if (!(this.flush_interval_ms >= 0)) throw new RangeError('flush_interval_ms must be ≥ 0');
    if (!Number.isInteger(this.max_batch) || this.max_batch < 1)
      throw new RangeError('max_batch must be ≥ 1');
  }

  get pending(): number {
    return this.queue.length;
  }

  enqueue(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    const promise = new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject }));
    if (this.queue.length >= this.max_batch) void this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.flush_interval_ms);
      // Not unref'd: the timer exists only while items wait, and a process
      // awaiting a share must stay alive until that share is committed.
    }
    return promise;
  }

  /** Commits everything queued now, in batches of at most max_batch; resolves with the number of items committed. */
  flush(): Promise<number> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // The batches leave the queue now; they commit after the commits already under way.
    const batches: Pending<T, R>[][] = [];
    while (this.queue.length > 0) batches.push(this.queue.splice(0, this.max_batch));
    const run = async (): Promise<number> => {
      let committed = 0;
      for (const batch of batches) {
        let results: R[];
        try {
          results = await this.commit(batch.map((p) => p.item));
        } catch (err) {
          for (const p of batch) p.reject(err);
          continue;
        }
        batch.forEach((p, i) => p.resolve(results[i] as R));
        committed += batch.length;
      }
      return committed;
    };
    const next = this.committing.then(run, run);
    this.committing = next;
    return next;
  }

  /** Commits what is queued and refuses new items. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }
}
