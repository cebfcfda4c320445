// CScriptNum: script integers as minimal little-endian sign-magnitude bytes
// (the sign is the top bit of the last byte; zero is the empty string).
import { BitcoinDataError } from './errors.js';

export function encodeScriptNum(n: number | bigint): Uint8Array {
  let v = BigInt(n);
  if (v === 0n) return new Uint8Array(0);
  const negative = v < 0n;
  if (negative) v = -v;
  const out: number[] = [];
  while (v > 0n) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  // If the magnitude's top bit is taken, add a byte to carry the sign.
  if (out[out.length - 1]! & 0x80) out.push(negative ? 0x80 : 0x00);
  else if (negative) out[out.length - 1]! |= 0x80;
  return Uint8Array.from(out);
}

/** Decodes a CScriptNum; with `requireMinimal`, rejects padded encodings as Core's SCRIPT_VERIFY_MINIMALDATA does. */
export function decodeScriptNum(bytes: Uint8Array, maxLength = 5, requireMinimal = true): bigint {
  if (bytes.length > maxLength) {
    throw new BitcoinDataError(`script number is ${bytes.length} bytes, more than ${maxLength}`);
  }
  if (bytes.length === 0) return 0n;
  const last = bytes[bytes.length - 1]!;
  if (
    requireMinimal &&
    (last & 0x7f) === 0 &&
    (bytes.length === 1 || (bytes[bytes.length - 2]! & 0x80) === 0)
  ) {
    throw new BitcoinDataError('script number is not minimally encoded');
  }
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  const signBit = 0x80n << BigInt(8 * (bytes.length - 1));
  return v & signBit ? -(v & ~signBit) : v;
}
