// Targets, difficulty and hashrate. Difficulty 1 is the "bdiff" target
// 0x00000000FFFF0000…0000 (nBits 1d00ffff). Targets are bigint; hashes are
// 32 bytes in internal order, read as little-endian integers.
import { U256_MAX, u256ToLE } from './u256.js';

/** The target of difficulty 1 (bdiff). */
export const DIFF1_TARGET = 0xffffn << 208n;

/** A positive finite double as mantissa · 2^exponent with an integer mantissa, exactly. */
function splitDouble(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const raw = view.getBigUint64(0);
  const biased = Number((raw >> 52n) & 0x7ffn);
  const fraction = raw & ((1n << 52n) - 1n);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 };
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/** floor(numerator / x) for a bigint numerator and a positive finite double x, exactly. */
function divideByDouble(numerator: bigint, x: number): bigint {
  const { mantissa, exponent } = splitDouble(x);
  return exponent >= 0
    ? numerator / (mantissa << BigInt(exponent))
    : (numerator << BigInt(-exponent)) / mantissa;
}

/** a / b as a double for bigints of any size, without overflow to Infinity on the way. */
function ratio(a: bigint, b: bigint): number {
  if (b === 0n) return Infinity;
  // Scale so the quotient keeps 64 significant bits before converting.
  const shift = BigInt(Math.max(0, 64 - (a.toString(2).length - b.toString(2).length)));
  return Number((a << shift) / b) / 2 ** Number(shift);
}

function checkPositive(x: number, what: string): void {
  if (!Number.isFinite(x) || x <= 0)
    throw new RangeError(`${what} must be a positive finite number, got ${x}`);
}

function clampTarget(t: bigint): bigint {
  return t > U256_MAX ? U256_MAX : t < 0n ? 0n : t;
}

/** Difficulty of a target: DIFF1_TARGET / target (Infinity for 0). */
export function targetToDifficulty(target: bigint): number {
  return ratio(DIFF1_TARGET, target);
}

/** Target of a difficulty: floor(DIFF1_TARGET / difficulty), at most 2^256 − 1. */
export function difficultyToTarget(difficulty: number): bigint {
  checkPositive(difficulty, 'difficulty');
  return clampTarget(divideByDouble(DIFF1_TARGET, difficulty));
}

/** Whether a hash (internal order) read as a little-endian integer is ≤ target. */
export function hashMeetsTarget(hash: Uint8Array, target: bigint | Uint8Array): boolean {
  const t = typeof target === 'bigint' ? u256ToLE(target) : target;
  // Compare from the most significant byte (the last one) down: no bigint needed.
  for (let i = 31; i >= 0; i--) {
    const a = hash[i]!;
    const b = t[i]!;
    if (a !== b) return a < b;
  }
  return true;
}

/** DIFF1_TARGET as a double (0xffff · 2^208 is exact in binary64). */
const DIFF1 = 0xffff * 2 ** 208;

/**
 * The difficulty a hash achieves: DIFF1_TARGET / hash (the share's "best
 * difficulty"), as a double within a few parts in 10^15 of the exact
 * quotient. It runs for every share, so it reads the hash as a double
 * (most significant byte first) rather than as a bigint.
 */
export function hashDifficulty(hash: Uint8Array): number {
  let h = 0;
  for (let i = 31; i >= 0; i--) h = h * 256 + hash[i]!;
  return h === 0 ? Infinity : DIFF1 / h;
}

/**
 * Target at which a device of `hashrate` H/s finds `sharesPerMinute` shares
 * per minute on average. A hash meets target T with probability (T+1)/2^256,
 * so we want (T+1) = 2^256 / (hashrate · seconds per share).
 */
export function hashrateToTarget(hashrate: number, sharesPerMinute: number): bigint {
  checkPositive(hashrate, 'hashrate');
  checkPositive(sharesPerMinute, 'shares per minute');
  const hashesPerShare = (hashrate * 60) / sharesPerMinute;
  if (!Number.isFinite(hashesPerShare)) return 0n;
  if (hashesPerShare <= 1) return U256_MAX;
  return clampTarget(divideByDouble(1n << 256n, hashesPerShare) - 1n);
}

/** Hashrate (H/s) implied by finding `sharesPerMinute` shares per minute at `target`. */
export function targetToHashrate(target: bigint, sharesPerMinute: number): number {
  checkPositive(sharesPerMinute, 'shares per minute');
  return (ratio(1n << 256n, target + 1n) * sharesPerMinute) / 60;
}
