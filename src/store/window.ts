// The PPLNS window kept in memory: the newest shares whose difficulty adds up
// to the target N, with a running sum per account, so a payout needs no scan
// of the shares table. Walking back from the newest share, shares are taken
// whole until the sum reaches N; the oldest share kept (the boundary) counts
// only for the part that still fits.

export interface WindowShare {
  id: number;
  account_id: number;
  difficulty: number;
}

export interface WindowSnapshot {
  /** Difficulty per account inside the window (boundary share counted partially). */
  accounts: Map<number, number>;
  /** Sum of the window: the target, or less when the history is shorter. */
  total: number;
  target: number;
}

export class RunningWindow {
  private ids: number[] = [];
  private accs: number[] = [];
  private diffs: number[] = [];
  private head = 0;
  private sums = new Map<number, number>();
  private sum = 0;
  private removed = 0;
  /** True when the oldest entry kept is the oldest share there is. */
  complete = true;

  constructor(private targetDifficulty = 0) {}

  get target(): number {
    return this.targetDifficulty;
  }

  get size(): number {
    return this.ids.length - this.head;
  }

  get total(): number {
    return this.sum;
  }

  /** Id of the oldest share held, or undefined when empty. */
  get oldestId(): number | undefined {
    return this.size > 0 ? this.ids[this.head] : undefined;
  }

  /** Whether older shares must be loaded to fill the window. */
  get wantsOlder(): boolean {
    return !this.complete && this.sum < this.targetDifficulty;
  }

  /** Appends a newly committed share (ids ascending). */
  push(s: WindowShare): void {
    this.ids.push(s.id);
    this.accs.push(s.account_id);
    this.diffs.push(s.difficulty);
    this.add(s.account_id, s.difficulty);
    this.trim();
  }

  /**
   * Adds shares older than every share held, given newest first as
   * [id, account_id, difficulty] rows (what a descending query returns).
   */
  prependOlder(
    olderNewestFirst: readonly (readonly [number, number, number])[],
    reachedStart: boolean,
  ): void {
    const ids: number[] = [];
    const accs: number[] = [];
    const diffs: number[] = [];
    for (let i = olderNewestFirst.length - 1; i >= 0; i--) {
      const [id, acc, d] = olderNewestFirst[i] as readonly [number, number, number];
      ids.push(id);
      accs.push(acc);
      diffs.push(d);
      this.add(acc, d);
    }
    this.ids = ids.concat(this.ids.slice(this.head));
    this.accs = accs.concat(this.accs.slice(this.head));
    this.diffs = diffs.concat(this.diffs.slice(this.head));
    this.head = 0;
    this.complete = reachedStart;
    this.trim();
  }

  setTarget(target: number): void {
    if (!Number.isFinite(target) || target < 0)
      throw new RangeError(`window target must be ≥ 0, got ${target}`);
    this.targetDifficulty = target;
    this.trim();
  }

  snapshot(): WindowSnapshot {
    const accounts = new Map(this.sums);
    const excess = this.sum - this.targetDifficulty;
    if (excess > 0 && this.size > 0) {
      const acc = this.accs[this.head] as number;
      accounts.set(acc, (accounts.get(acc) ?? 0) - excess);
    }
    for (const [acc, d] of accounts) if (d <= 0) accounts.delete(acc);
    return { accounts, total: Math.min(this.sum, this.targetDifficulty), target: this.targetDifficulty };
  }

  private add(acc: number, d: number): void {
    this.sum += d;
    this.sums.set(acc, (this.sums.get(acc) ?? 0) + d);
  }

  /** Drops the oldest shares while the rest still reach the target. */
  private trim(): void {
    while (this.size > 0 && this.sum - (this.diffs[this.head] as number) >= this.targetDifficulty) {
      const acc = this.accs[this.head] as number;
      const d = this.diffs[this.head] as number;
      this.head++;
      this.removed++;
      this.complete = false;
      this.sum -= d;
      const left = (this.sums.get(acc) ?? 0) - d;
      if (this.size === 0 || left <= 0) this.sums.delete(acc);
      else this.sums.set(acc, left);
    }
    if (this.head > 4096 && this.head * 2 > this.ids.length) this.compact();
    // Subtracting floats drifts; re-add from scratch once as many entries left as are held.
    if (this.removed > 4096 && this.removed > this.size) this.resum();
  }

  private compact(): void {
    this.ids = this.ids.slice(this.head);
    this.accs = this.accs.slice(this.head);
    this.diffs = this.diffs.slice(this.head);
    this.head = 0;
  }

  private resum(): void {
    this.sums.clear();
    this.sum = 0;
    for (let i = this.head; i < this.ids.length; i++)
      this.add(this.accs[i] as number, this.diffs[i] as number);
    this.removed = 0;
  }
}
