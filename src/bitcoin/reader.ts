// Bounds-checked little-endian reader for Bitcoin serializations. Every read
// that would run past the end throws BitcoinDataError naming the field, so a
// truncated transaction or block from a peer is a clear error, never garbage.
import { BitcoinDataError } from './errors.js';

/** Largest CompactSize Bitcoin Core accepts when deserializing. */
export const MAX_SIZE = 0x02000000;

export class ByteReader {
  private readonly view: DataView;
  offset: number;

  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.remaining < n) {
      throw new BitcoinDataError(
        `truncated ${what}: need ${n} bytes at offset ${this.offset}, ${this.remaining} left`,
      );
    }
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  i64(what = 'i64'): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.offset, true);
    this.offset += 8;
    return v;
  }

  /** A copy of the next n bytes. */
  bytesN(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /**
   * CompactSize, rejecting non-canonical encodings and values above 32 MiB
   * (Core's MAX_SIZE): nothing in a transaction or block can be larger.
   */
  compactSize(what = 'CompactSize'): number {
    const first = this.u8(what);
    let value: number;
    if (first < 0xfd) return first;
    if (first === 0xfd) {
      this.need(2, what);
      value = this.view.getUint16(this.offset, true);
      this.offset += 2;
      if (value < 0xfd) throw new BitcoinDataError(`non-canonical ${what}`);
    } else if (first === 0xfe) {
      value = this.u32(what);
      if (value <= 0xffff) throw new BitcoinDataError(`non-canonical ${what}`);
    } else {
      this.need(8, what);
      const big = this.view.getBigUint64(this.offset, true);
      this.offset += 8;
      if (big <= 0xffffffffn) throw new BitcoinDataError(`non-canonical ${what}`);
      throw new BitcoinDataError(`${what} ${big} is too large`);
    }
    if (value > MAX_SIZE) throw new BitcoinDataError(`${what} ${value} is too large (limit ${MAX_SIZE})`);
    return value;
  }

  /** CompactSize length followed by that many bytes, refusing lengths beyond the input. */
  varBytes(what = 'byte string'): Uint8Array {
    const n = this.compactSize(`${what} length`);
    return this.bytesN(n, what);
  }
}
