// Failure counting for logins and sign-ups: a key (an IP address or an
// account name) is locked once it has `max` failures within `windowMs`, until
// the window of its first counted failure has passed. Memory is bounded: the
// oldest keys are dropped first.

interface Entry {
  count: number;
  since: number;
}

export class FailureLimiter {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
    readonly maxKeys = 100_000,
  ) {}

  #current(key: string, now: number): Entry | undefined {
    const e = this.#entries.get(key);
    if (e && now - e.since >= this.windowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  locked(key: string, now = Date.now()): boolean {
    const e = this.#current(key, now);
    return e !== undefined && e.count >= this.max;
  }

  fail(key: string, now = Date.now()): void {
    const e = this.#current(key, now);
    if (e) {
      e.count++;
      return;
    }
    if (this.#entries.size >= this.maxKeys) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { count: 1, since: now });
  }

  clear(key: string): void {
    this.#entries.delete(key);
  }
}
