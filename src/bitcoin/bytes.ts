// Byte helpers: strict hex, Bitcoin's reversed "display" hex, concatenation
// and comparison. Hashes live in internal (wire) order everywhere in this
// layer; only explorers and RPC print them reversed.
import { hexToBytes as nobleHexToBytes } from '@noble/hashes/utils.js';
import { BitcoinDataError } from './errors.js';

/** Parses hex (either case); throws BitcoinDataError on odd length or a non-hex character. */
export function hexToBytes(hex: string): Uint8Array {
  try {
    return nobleHexToBytes(hex);
  } catch (e) {
    throw new BitcoinDataError(`invalid hex string: ${(e as Error).message}`);
  }
}

/**
 * Lowercase hex. Node's own encoder gives one flat string; a string built a
 * byte at a time is a rope of one node per byte (32 bytes each on the heap),
 * which the translator kept for every job of every miner on a channel of its
 * own.
 */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Internal-order bytes from a display (big-endian, explorer) hex string. */
export function fromDisplayHex(hex: string): Uint8Array {
  return hexToBytes(hex).reverse();
}

/** Display (big-endian, explorer) hex of internal-order bytes. */
export function toDisplayHex(bytes: Uint8Array): string {
  return bytesToHex(Uint8Array.from(bytes).reverse());
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
