// nBits ("compact" target encoding): a base-256 exponent in the top byte and
// a 23-bit mantissa with a sign bit, as Bitcoin Core's arith_uint256
// SetCompact/GetCompact define it.
import { BitcoinDataError } from './errors.js';

export interface DecodedCompact {
  /** Magnitude of the encoded number (the sign bit is reported separately). */
  target: bigint;
  /** Sign bit set with a non-zero mantissa: never a valid proof-of-work target. */
  negative: boolean;
  /** The number does not fit in 256 bits. */
  overflow: boolean;
}

export function decodeCompact(bits: number): DecodedCompact {
  if (!Number.isInteger(bits) || bits < 0 || bits > 0xffffffff)
    throw new RangeError(`nBits out of range: ${bits}`);
  const size = bits >>> 24;
  let word = bits & 0x007fffff;
  let target: bigint;
  if (size <= 3) {
    word >>>= 8 * (3 - size);
    target = BigInt(word);
  } else {
    target = BigInt(word) << BigInt(8 * (size - 3));
  }
  const negative = word !== 0 && (bits & 0x00800000) !== 0;
  const overflow = word !== 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
  return { target, negative, overflow };
}

/** The proof-of-work target of nBits; throws for negative, zero or overflowing encodings. */
export function bitsToTarget(bits: number): bigint {
  const { target, negative, overflow } = decodeCompact(bits);
  const hex = bits.toString(16).padStart(8, '0');
  if (negative) throw new BitcoinDataError(`nBits ${hex} encodes a negative target`);
  if (overflow) throw new BitcoinDataError(`nBits ${hex} overflows 256 bits`);
  if (target === 0n) throw new BitcoinDataError(`nBits ${hex} encodes a zero target`);
  return target;
}

/** The nBits encoding of a target (rounds down to a 23-bit mantissa). */
export function targetToBits(target: bigint): number {
  if (target < 0n) throw new RangeError('target must not be negative');
  let size = 0;
  for (let t = target; t > 0n; t >>= 8n) size++;
  let word = size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  // The mantissa's top bit is the sign: move a set bit into a larger exponent.
  if (word & 0x00800000) {
    word >>>= 8;
    size++;
  }
  return ((size << 24) | word) >>> 0;
}
