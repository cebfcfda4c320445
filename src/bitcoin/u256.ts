// 256-bit integers as bigint. SV2 sends U256 values (targets, hashes) as 32
// little-endian bytes; a block hash is compared with a target by reading its
// internal-order bytes as a little-endian integer.
import { BitcoinDataError } from './errors.js';

export const U256_MAX = (1n << 256n) - 1n;

export function u256FromLE(bytes: Uint8Array): bigint {
  if (bytes.length !== 32) throw new BitcoinDataError(`U256 must be 32 bytes, got ${bytes.length}`);
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

export function u256ToLE(value: bigint): Uint8Array {
  if (value < 0n || value > U256_MAX) throw new RangeError(`value does not fit in U256: ${value}`);
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Big-endian hex (64 digits) as printed by explorers and RPC for targets. */
export function u256FromBEHex(hex: string): bigint {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new BitcoinDataError(`expected 64 hex digits, got "${hex}"`);
  return BigInt('0x' + hex);
}

export function u256ToBEHex(value: bigint): string {
  if (value < 0n || value > U256_MAX) throw new RangeError(`value does not fit in U256: ${value}`);
  return value.toString(16).padStart(64, '0');
}
