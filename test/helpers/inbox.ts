// What a test client received, in arrival order, awaited one item at a time.
// `next` skips unread items that do not match, so a test can wait for "the
// next SetNewPrevHash" without handling everything that came before it.

export class Inbox<T> {
  readonly items: T[] = [];
  #read = 0;
  #notify: (() => void) | undefined;

  push(item: T): void {
    this.items.push(item);
    this.#notify?.();
  }

  /** Drops the items already read (long-running clients keep memory bounded). */
  compact(): void {
    this.items.splice(0, this.#read);
    this.#read = 0;
  }

  /** Wakes a waiting `next` without a new item (e.g. the connection closed). */
  wake(): void {
    this.#notify?.();
  }

  /**
   * The next unread item matching `pred`. Fails with `failure()` once
   * `timeoutMs` has passed, or as soon as nothing is waiting to be read and
   * `closed()` says nothing more can arrive.
   */
  async next<U extends T = T>(
    pred: (item: T) => boolean,
    timeoutMs: number,
    failure: () => string,
    closed: () => boolean = () => false,
  ): Promise<U> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#read < this.items.length) {
        const item = this.items[this.#read++]!;
        if (pred(item)) return item as U;
      }
      const left = deadline - Date.now();
      if (left <= 0 || closed()) throw new Error(failure());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#notify = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#notify = undefined;
    }
  }
}
