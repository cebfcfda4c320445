// Per-miner variable difficulty toward a target share rate. Pure: the caller
// passes the time (ms) and sends whatever difficulty it returns. A window of
// shares is judged once it holds `burst` shares or is `retargetMs` old; a
// rate within [½, 2]× the target leaves the difficulty alone, anything
// further moves it by the observed ratio (bounded per step). Until a miner's
// first share the start is only a guess: every `firstShareMs` without one
// divides it by 4, so a device far slower than its guess gets work it can
// finish within its first minute instead of after several.

export interface VardiffOptions {
  /** Target accepted shares per minute. */
  sharesPerMinute: number;
  /** Judge the window at the latest after this long. */
  retargetMs: number;
  /** Judge the window early once it holds this many shares (a difficulty far too low). */
  burst: number;
  /** Never judge a window younger than this (a lucky burst is not a rate). */
  minWindowMs: number;
  /** Largest factor of one step, up or down. */
  maxStep: number;
  /** Before the first share: a window this long without one divides the difficulty by 4. */
  firstShareMs: number;
}

export const DEFAULT_VARDIFF: VardiffOptions = {
  sharesPerMinute: 20,
  retargetMs: 60_000,
  burst: 40,
  minWindowMs: 5_000,
  maxStep: 64,
  firstShareMs: 10_000,
};

/** Settings objects merged with the defaults, once per object given (every miner of a port shares one). */
const merged = new WeakMap<Partial<VardiffOptions>, Readonly<VardiffOptions>>();

function withDefaults(options: Partial<VardiffOptions>): Readonly<VardiffOptions> {
  let m = merged.get(options);
  if (m === undefined) {
    m = Object.freeze({ ...DEFAULT_VARDIFF, ...options });
    merged.set(options, m);
  }
  return m;
}

export class Vardiff {
  private since: number;
  private shares = 0;
  /** No share seen yet: the difficulty is still the starting guess. */
  private first = true;
  readonly options: Readonly<VardiffOptions>;

  constructor(options: Partial<VardiffOptions>, now: number) {
    this.options = withDefaults(options);
    if (!(this.options.sharesPerMinute > 0)) throw new RangeError('sharesPerMinute must be positive');
    this.since = now;
  }

  /** Counts one accepted share. */
  recordShare(now: number): void {
    if (now < this.since) this.since = now; // clock went back: re-anchor
    this.shares++;
    this.first = false;
  }

  /** Starts a new window (after any difficulty change). */
  reset(now: number): void {
    this.since = now;
    this.shares = 0;
  }

  /** The difficulty the observed rate calls for, or undefined to keep `current`. */
  evaluate(current: number, now: number): number | undefined {
    const o = this.options;
    if (now < this.since) {
      this.reset(now);
      return undefined;
    }
    const elapsed = now - this.since;
    if (this.first && this.shares === 0 && elapsed >= o.firstShareMs) {
      this.reset(now);
      return current / 4;
    }
    if (elapsed < o.minWindowMs) return undefined;
    if (this.shares < o.burst && elapsed < o.retargetMs) return undefined;
    const observed = this.shares / (elapsed / 60_000);
    const ratio = observed / o.sharesPerMinute;
    if (ratio >= 0.5 && ratio <= 2) {
      this.reset(now);
      return undefined;
    }
    // No share at all in a full window: the difficulty is far too high.
    const factor = this.shares === 0 ? 1 / 4 : Math.min(o.maxStep, Math.max(1 / o.maxStep, ratio));
    this.reset(now);
    return current * factor;
  }
}
