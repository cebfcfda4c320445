// CompactSize ("varint" in Bitcoin's wire format): 1, 3, 5 or 9 bytes, the
// shortest form being the only canonical one.
import { ByteReader } from './reader.js';

export function compactSizeLength(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`CompactSize out of range: ${n}`);
  if (n < 0xfd) return 1;
  if (n <= 0xffff) return 3;
  if (n <= 0xffffffff) return 5;
  return 9;
}

export function encodeCompactSize(n: number): Uint8Array {
  const size = compactSizeLength(n);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  if (size === 1) out[0] = n;
  else if (size === 3) {
    out[0] = 0xfd;
    view.setUint16(1, n, true);
  } else if (size === 5) {
    out[0] = 0xfe;
    view.setUint32(1, n, true);
  } else {
    out[0] = 0xff;
    view.setBigUint64(1, BigInt(n), true);
  }
  return out;
}

/** Reads a CompactSize at `offset`; returns the value and the number of bytes it took. */
export function decodeCompactSize(bytes: Uint8Array, offset = 0): { value: number; size: number } {
  const r = new ByteReader(bytes, offset);
  const value = r.compactSize();
  return { value, size: r.offset - offset };
}
