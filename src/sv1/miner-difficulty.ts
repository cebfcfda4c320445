// One miner's difficulty, as a pure state machine. What decides it, in
// order of strength:
//   - d=N in the authorize password: the miner's own pick, also a floor;
//   - configure's minimum-difficulty: a floor;
//   - mining.suggest_difficulty / suggest_target: a new starting point that
//     vardiff moves on from (ckpool treats it as a floor, which pins Bitaxes
//     that suggest 1000 far below their rate);
//   - the device's user agent: a start near its family's rate (devices.ts);
//   - the port's start difficulty.
// With vardiff on, shares (and the lack of them) move it from there; with
// vardiff off it follows the pool's target for the miner's channel.
// Every method returns the new difficulty when it changed, else undefined.
import { deviceProfile, UNKNOWN_DEVICE, type DeviceProfile } from './devices.js';
import { clamp, powerOfTwoFloor, type PortDifficulty } from './difficulty.js';
import {
  vardiffRetarget,
  vardiffShare,
  vardiffReset,
  vardiffSettings,
  type VardiffOptions,
  type VardiffWindow,
} from './vardiff.js';

/** Lowest fractional difficulty ever sent (NerdMiners ask for 0.00015). */
export const FRACTIONAL_MIN = 1e-8;

export class MinerDifficulty implements VardiffWindow {
  private readonly port: PortDifficulty;
  /** Vardiff's settings; undefined with vardiff off. */
  private readonly vardiff: Readonly<VardiffOptions> | undefined;
  // The vardiff window (VardiffWindow), here rather than an object of its own.
  since: number;
  shares = 0;
  first = true;
  private profile: Readonly<DeviceProfile> = UNKNOWN_DEVICE;
  /** The miner asked for a fractional value itself (suggest or d=). */
  private askedFraction = false;
  /** A suggestion, d= or minimum already set the difficulty: the agent's start no longer applies. */
  private explicit = false;
  private floor = 0;
  private lastSuggestion: number | undefined;
  private value: number;

  constructor(port: PortDifficulty, vardiff: Partial<VardiffOptions> | false, now: number) {
    this.port = port;
    this.vardiff = vardiff === false ? undefined : vardiffSettings(vardiff);
    this.since = now;
    this.value = this.fromStart(port.start);
  }

  get current(): number {
    return this.value;
  }

  get family(): string {
    return this.profile.family;
  }

  /** Whether this miner gets whole numbers only. */
  get integer(): boolean {
    if (this.profile.integerOnly) return true;
    return this.port.integer && !this.profile.fractional && !this.askedFraction;
  }

  /** mining.subscribe's user agent: the device's start difficulty, unless the miner asked for one already. */
  identify(userAgent: string | undefined, now: number): number | undefined {
    this.profile = deviceProfile(userAgent);
    if (this.explicit || this.profile.start === undefined)
      return this.set(this.explicitValue(this.value), now);
    return this.set(this.fromStart(this.profile.start), now);
  }

  /**
   * mining.suggest_difficulty: a starting point; a repeat of the last one
   * changes nothing. With vardiff off the pool's target rules: ignored.
   */
  suggest(n: number, now: number): number | undefined {
    if (n === this.lastSuggestion || this.vardiff === undefined) return undefined;
    this.lastSuggestion = n;
    this.noteRequest(n);
    return this.set(this.explicitValue(n), now);
  }

  /** d=N in the password: used from now on, and vardiff never goes below it. */
  password(n: number, now: number): number | undefined {
    this.noteRequest(n);
    this.floor = this.explicitValue(n);
    return this.set(this.floor, now);
  }

  /** configure's minimum-difficulty: a floor. */
  minimum(n: number, now: number): number | undefined {
    this.explicit = true;
    this.floor = Math.max(this.floor, this.explicitValue(n));
    return this.value < this.floor ? this.set(this.floor, now) : undefined;
  }

  /**
   * Vardiff off: the difficulty of the pool's target for this miner's
   * channel (never below a floor). A miner reading fractions gets the pool's
   * value as it is even below the port's lowest: on a chain as easy as
   * regtest (4.66e-10) a floor of 1e-8 would make every share a block.
   */
  upstream(difficulty: number, now: number): number | undefined {
    if (this.vardiff !== undefined) return undefined;
    const lowest = this.lowest();
    const value =
      !this.integer && difficulty > 0 && difficulty < lowest ? difficulty : this.vardiffValue(difficulty);
    return this.set(Math.max(this.floor, value), now);
  }

  /** An accepted share. */
  share(now: number): void {
    if (this.vardiff !== undefined) vardiffShare(this, now);
  }

  /** Work started: the share rate is measured from now. */
  restart(now: number): void {
    if (this.vardiff !== undefined) vardiffReset(this, now);
  }

  /** Vardiff's verdict on the rate since the last change. */
  retarget(now: number): number | undefined {
    if (this.vardiff === undefined) return undefined;
    const proposal = vardiffRetarget(this, this.vardiff, this.value, now);
    if (proposal === undefined) return undefined;
    return this.set(this.vardiffValue(proposal), now);
  }

  private noteRequest(n: number): void {
    this.explicit = true;
    if (n < 1 || !Number.isInteger(n)) this.askedFraction = true;
  }

  private lowest(): number {
    return this.integer ? 1 : Math.min(this.port.min, FRACTIONAL_MIN);
  }

  /** A requested value as sent: clamped to the port and the floor, whole on integer ports. */
  private explicitValue(value: number): number {
    const v = clamp(value, Math.max(this.lowest(), this.floor), this.port.max);
    return this.integer ? Math.max(1, Math.floor(v)) : v;
  }

  /** A computed value as sent: a power of two (rounded down) on integer ports, 3 digits otherwise. */
  private vardiffValue(value: number): number {
    const lo = Math.max(this.lowest(), this.floor);
    const v = clamp(value, lo, this.port.max);
    if (this.integer) {
      const p = powerOfTwoFloor(Math.max(1, v));
      return p < lo ? Math.max(1, Math.ceil(lo)) : p;
    }
    return clamp(Number(v.toPrecision(3)), lo, this.port.max);
  }

  private fromStart(start: number): number {
    return this.vardiffValue(start);
  }

  private set(d: number, now: number): number | undefined {
    if (d === this.value) return undefined;
    this.value = d;
    if (this.vardiff !== undefined) vardiffReset(this, now);
    return d;
  }
}
