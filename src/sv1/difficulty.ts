// Difficulty values sent to miners. ASIC firmware has read fractional
// difficulty as an integer (0.5 → 0), so ASIC ports only ever send integers;
// CPU/NerdMiner ports need values far below 1 (0.00015). `PortDifficulty`
// holds a port's limits; the helpers turn any wish into a value we may send.

export interface PortDifficulty {
  /** Lowest difficulty this port hands out. */
  min: number;
  /** Highest difficulty this port hands out. */
  max: number;
  /** Difficulty of a fresh connection before any suggestion or vardiff step. */
  start: number;
  /** ASIC port: whole numbers only (≥ 1). */
  integer: boolean;
}

export const ASIC_PORT: PortDifficulty = { min: 1, max: 2 ** 40, start: 1024, integer: true };
export const CPU_PORT: PortDifficulty = { min: 1e-8, max: 2 ** 20, start: 0.001, integer: false };

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** An explicit request (suggest, d=, minimum-difficulty) made sendable: whole numbers on ASIC ports. */
export function sendableDifficulty(port: PortDifficulty, value: number, floor = port.min): number {
  const v = clamp(value, Math.max(port.min, floor), port.max);
  return port.integer ? Math.max(1, Math.floor(v)) : v;
}

/** Largest power of two ≤ value (value ≥ 1). */
export function powerOfTwoFloor(value: number): number {
  return 2 ** Math.floor(Math.log2(value));
}

/**
 * A vardiff result made sendable: on ASIC ports rounded down to a power of
 * two (rounding down never asks more work per share than the hashrate
 * supports), on CPU ports kept to 3 significant digits.
 */
export function vardiffDifficulty(port: PortDifficulty, value: number, floor = port.min): number {
  const lo = Math.max(port.min, floor);
  const v = clamp(value, lo, port.max);
  if (port.integer) {
    const p = powerOfTwoFloor(Math.max(1, v));
    return p < lo ? Math.max(1, Math.ceil(lo)) : p;
  }
  const rounded = Number(v.toPrecision(3));
  return clamp(rounded, lo, port.max);
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
