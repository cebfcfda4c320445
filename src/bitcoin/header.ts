// The 80-byte block header: version | prev_hash | merkle_root | time | bits |
// nonce, integers little-endian, hashes in internal order.
import { BitcoinDataError } from './errors.js';
import { headerHash } from './hash.js';
import { toDisplayHex } from './bytes.js';

export const HEADER_SIZE = 80;

export interface BlockHeader {
  version: number;
  /** Previous block hash, internal order. */
  prev_hash: Uint8Array;
  /** Merkle root, internal order. */
  merkle_root: Uint8Array;
  time: number;
  bits: number;
  nonce: number;
}

/** Writes a header into `out` at `offset` (80 bytes); the hot path of share validation. */
export function writeHeader(header: BlockHeader, out: Uint8Array, offset = 0): void {
  if (header.prev_hash.length !== 32 || header.merkle_root.length !== 32) {
    throw new RangeError('prev_hash and merkle_root must be 32 bytes');
  }
  const view = new DataView(out.buffer, out.byteOffset + offset, HEADER_SIZE);
  view.setUint32(0, header.version >>> 0, true);
  out.set(header.prev_hash, offset + 4);
  out.set(header.merkle_root, offset + 36);
  view.setUint32(68, header.time >>> 0, true);
  view.setUint32(72, header.bits >>> 0, true);
  view.setUint32(76, header.nonce >>> 0, true);
}

export function serializeHeader(header: BlockHeader): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE);
  writeHeader(header, out);
  return out;
}

export function parseHeader(bytes: Uint8Array, offset = 0): BlockHeader {
  if (bytes.length - offset < HEADER_SIZE) {
    throw new BitcoinDataError(
      `block header needs 80 bytes, ${Math.max(0, bytes.length - offset)} available`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, HEADER_SIZE);
  return {
    version: view.getUint32(0, true),
    prev_hash: bytes.slice(offset + 4, offset + 36),
    merkle_root: bytes.slice(offset + 36, offset + 68),
    time: view.getUint32(68, true),
    bits: view.getUint32(72, true),
    nonce: view.getUint32(76, true),
  };
}

/** Block hash of a header, internal order. */
export function blockHash(header: BlockHeader): Uint8Array {
  return headerHash(serializeHeader(header));
}

/** Block hash as explorers and RPC print it. */
export function blockHashDisplay(header: BlockHeader): string {
  return toDisplayHex(blockHash(header));
}
