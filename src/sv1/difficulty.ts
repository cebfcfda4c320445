// A port's difficulty limits. An ASIC port sends whole numbers unless the
// device is known to read fractions (miner-difficulty.ts, devices.ts); a CPU
// port sends values far below 1 to every device but integer-only firmware.

export interface PortDifficulty {
  /** Lowest difficulty this port hands out (whole-number devices never get less than 1). */
  min: number;
  /** Highest difficulty this port hands out. */
  max: number;
  /** Difficulty of a fresh connection before any suggestion or vardiff step. */
  start: number;
  /** ASIC port: whole numbers (≥ 1) unless the device reads fractions or asked for one. */
  integer: boolean;
}

export const ASIC_PORT: PortDifficulty = { min: 1, max: 2 ** 40, start: 1024, integer: true };
export const CPU_PORT: PortDifficulty = { min: 1e-8, max: 2 ** 20, start: 0.001, integer: false };

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Largest power of two ≤ value (value ≥ 1). */
export function powerOfTwoFloor(value: number): number {
  return 2 ** Math.floor(Math.log2(value));
}

/** The `d=N` option of an authorize password ("x,d=512" or "d=0.001"), if any. */
export function passwordDifficulty(password: string): number | undefined {
  for (const part of password.split(/[,;\s]+/)) {
    const m = /^d=([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)$/.exec(part);
    if (m) {
      const d = Number(m[1]);
      if (Number.isFinite(d) && d > 0) return d;
    }
  }
  return undefined;
}
