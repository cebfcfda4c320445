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

/**
 * One vardiff window, kept by its owner: a miner's difficulty holds these
 * fields itself rather than an object of their own.
 */
export interface VardiffWindow {
  /** When the window began (ms). */
  since: number;
  /** Accepted shares in it. */
  shares: number;
  /** No share seen yet: the difficulty is still the starting guess. */
  first: boolean;
}

/** The settings with their defaults (one frozen object per settings object given). */
export function vardiffSettings(options: Partial<VardiffOptions>): Readonly<VardiffOptions> {
  const o = withDefaults(options);
  if (!(o.sharesPerMinute > 0)) throw new RangeError('sharesPerMinute must be positive');
  return o;
}

/** A new window at `now`, before any share. */
export function vardiffWindow(now: number): VardiffWindow {
  return { since: now, shares: 0, first: true };
}

/** Counts one accepted share. */
export function vardiffShare(w: VardiffWindow, now: number): void {
  if (now < w.since) w.since = now; // clock went back: re-anchor
  w.shares++;
  w.first = false;
}

/** Starts a new window (after any difficulty change). */
export function vardiffReset(w: VardiffWindow, now: number): void {
  w.since = now;
  w.shares = 0;
}

/** The difficulty the window's rate calls for under settings `o`, or undefined to keep `current`. */
export function vardiffRetarget(
  w: VardiffWindow,
  o: Readonly<VardiffOptions>,
  current: number,
  now: number,
): number | undefined {
  if (now < w.since) {
    vardiffReset(w, now);
    return undefined;
  }
  const elapsed = now - w.since;
  if (w.first && w.shares === 0 && elapsed >= o.firstShareMs) {
    vardiffReset(w, now);
    return current / 4;
  }
  if (elapsed < o.minWindowMs) return undefined;
  if (w.shares < o.burst && elapsed < o.retargetMs) return undefined;
  const observed = w.shares / (elapsed / 60_000);
  const ratio = observed / o.sharesPerMinute;
  if (ratio >= 0.5 && ratio <= 2) {
    vardiffReset(w, now);
    return undefined;
  }
  // No share at all in a full window: the difficulty is far too high.
  const factor = w.shares === 0 ? 1 / 4 : Math.min(o.maxStep, Math.max(1 / o.maxStep, ratio));
  vardiffReset(w, now);
  return current * factor;
}
