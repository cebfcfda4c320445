// Variable difficulty for one channel. Shares at a target T arrive as a
// Poisson process with rate H / W(T), where H is the device's hashrate and
// W(T) = 2^256 / (T + 1) the expected hashes per share. Over an exponentially
// decaying window the channel accumulates the share count N and the exposure
// E = ∫ dt / W(T(t)); N / E is then the maximum-likelihood hashrate, valid
// across target changes. A likelihood-ratio test of N against the count the
// assumed hashrate predicts (μ = H·E) decides when to retarget, so a steady
// device is left alone while one off by 1000× is caught within seconds (a
// flood of shares) or about a minute (silence). Pure: `now` is milliseconds.

export interface VardiffOptions {
  shares_per_minute: number;
  min_hashrate: number;
  max_hashrate?: number;
}

/** Expected hashes to find one share at `target`. */
export function hashesPerShare(target: bigint): number {
  return 2 ** 256 / (Number(target) + 1);
}

// Decay time of the window (ms): about 30 shares of memory at 6 per minute.
const WINDOW_MS = 5 * 60_000;
// G statistic (χ² with one degree of freedom) above which the assumed rate is
// rejected. Evaluations are frequent, so each must rarely misfire: p ≈ 0.0001
// for raising the difficulty. Lowering it is cheap to get wrong (a short burst
// of easy shares re-measures the device), so it fires sooner: p ≈ 0.025.
const G_RAISE = 15;
const G_LOWER = 5;
// Too few shares to trust N / E (which, picked when N happens to be low, also
// reads low): cut this much instead and let the resulting flood of shares,
// quick to measure, settle the rest.
const SILENT_CUT = 1000;
const TRUSTED_SHARES = 32;
// Largest change of one retarget, either way.
const MAX_STEP = 1000;

export class Vardiff {
  private rate: number;
  private perShare: number;
  private last: number;
  private count = 0;
  private exposure = 0;

  constructor(
    private readonly options: VardiffOptions,
    hashrate: number,
    target: bigint,
    now: number,
  ) {
    this.rate = this.clamp(hashrate);
    this.perShare = hashesPerShare(target);
    this.last = now;
  }

  /** The hashrate the channel's target is set for (H/s). */
  get hashrate(): number {
    return this.rate;
  }

  /** Restarts from a declared hashrate (UpdateChannel), forgetting past shares. */
  reset(hashrate: number, target: bigint, now: number): void {
    this.rate = this.clamp(hashrate);
    this.perShare = hashesPerShare(target);
    this.last = now;
    this.count = 0;
    this.exposure = 0;
  }

  /** The target now in force on the channel (after a SetTarget, or a clamp to max_target). */
  setTarget(target: bigint, now: number): void {
    this.advance(now);
    this.perShare = hashesPerShare(target);
  }

  /** An accepted share. */
  recordShare(now: number): void {
    this.advance(now);
    this.count++;
  }

  /** Hashrate estimate for statistics: the measured one once shares exist, else the assumed one. */
  estimate(now: number): number {
    this.advance(now);
    return this.count > 0 && this.exposure > 0 ? this.count / this.exposure : this.rate;
  }

  /** The new hashrate to set the target for, or null to keep the current one. */
  evaluate(now: number): number | null {
    this.advance(now);
    const n = this.count;
    const mu = this.rate * this.exposure;
    if (mu <= 0) return null;
    const g = 2 * ((n > 0 ? n * Math.log(n / mu) : 0) - n + mu);
    if (!(g > (n > mu ? G_RAISE : G_LOWER))) return null;
    // Too many shares, but too few to measure well: a wrong guess now would take
    // minutes to correct, the 32nd share comes soon enough.
    if (n > mu && n < TRUSTED_SHARES) return null;
    const cut = n < mu && n < TRUSTED_SHARES;
    // Upwards the test fires right after a share, where (n − 1) / E is the
    // unbiased rate (the window ends on an arrival), and n / E reads high.
    const proposed = cut ? this.rate / SILENT_CUT : n > mu ? (n - 1) / this.exposure : n / this.exposure;
    if (cut) {
      // The few old shares would pull the next estimate back: start afresh.
      this.count = 0;
      this.exposure = 0;
    }
    const next = this.clamp(Math.min(this.rate * MAX_STEP, Math.max(this.rate / MAX_STEP, proposed)));
    if (next === this.rate) return null;
    this.rate = next;
    return next;
  }

  private advance(now: number): void {
    const dt = now - this.last;
    if (dt <= 0) {
      if (dt < 0) this.last = now; // clock went backwards: re-anchor
      return;
    }
    const keep = Math.exp(-dt / WINDOW_MS);
    this.count *= keep;
    this.exposure = this.exposure * keep + ((WINDOW_MS / 1000) * (1 - keep)) / this.perShare;
    this.last = now;
  }

  private clamp(hashrate: number): number {
    const max = this.options.max_hashrate ?? Number.MAX_VALUE;
    if (!Number.isFinite(hashrate)) return max;
    return Math.min(max, Math.max(this.options.min_hashrate, hashrate));
  }
}
