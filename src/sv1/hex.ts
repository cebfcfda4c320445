// Hex fields of SV1: 32-bit numbers travel as 8 big-endian hex digits.
// Miners are read case-insensitively and short numbers are left-padded
// (NerdMiner prints nonces without leading zeros); we always write lowercase.

const HEX = /^[0-9a-fA-F]+$/;

/** 8 lowercase hex digits of a 32-bit number. */
export function u32Hex(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

/** A 32-bit number from 1–8 hex digits, or undefined if the text is anything else. */
export function parseU32Hex(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 8 || !HEX.test(text)) return undefined;
  return parseInt(text, 16) >>> 0;
}

/** Bytes from an even-length hex string of exactly `length` bytes, else undefined. */
export function parseHexBytes(text: unknown, length: number): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length !== length * 2) return undefined;
  if (length > 0 && !HEX.test(text)) return undefined;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
