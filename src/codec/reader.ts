// Bounds-checked cursor over one payload. Every read first checks that its
// bytes are there and otherwise throws a CodecError naming the field, so a
// decoder can never read past the buffer nor allocate from a length prefix
// that the input does not back.
//
// Byte fields (U256, PUBKEY, B0_*, BYTES …) are returned as subarray views of
// the input, without copying: a decoded message aliases the buffer it came
// from, so that buffer must not be reused or mutated while the message lives.
import { decodeError } from './errors.js';
import { decodeUtf8 } from './utf8.js';

const f32Bytes = new Uint8Array(4);
const f32View = new Float32Array(f32Bytes.buffer);

export interface ReaderOptions {
  /**
   * Reject BOOL bytes other than 0 and 1 ('bad-bool'). Off by default: spec
   * 3.1 says recipients MUST NOT interpret the 7 padding bits and senders MAY
   * set them, so the default reads bit 0 only.
   */
  strictBool?: boolean;
}

export class Reader {
  pos: number;
  readonly end: number;
  readonly strictBool: boolean;

  readonly buf: Uint8Array;

  constructor(buf: Uint8Array, start = 0, end = buf.length, options?: ReaderOptions) {
    // Views of a Buffer are Buffers (and slower to make): read through one plain
    // Uint8Array view so decoded byte fields are plain Uint8Arrays whatever the input.
    this.buf =
      Object.getPrototypeOf(buf) === Uint8Array.prototype
        ? buf
        : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
    this.strictBool = options?.strictBool === true;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws 'truncated' unless `n` more bytes are available. */
  need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      throw decodeError('truncated', what, `needs ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  u8(what: string): number {
    if (this.pos >= this.end) this.need(1, what);
    return this.buf[this.pos++]!;
  }

  bool(what: string): boolean {
    const b = this.u8(what);
    if (b > 1 && this.strictBool) throw decodeError('bad-bool', what, `BOOL byte 0x${b.toString(16)}`);
    return (b & 1) === 1;
  }

  u16(what: string): number {
    if (this.end - this.pos < 2) this.need(2, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return b[p]! | (b[p + 1]! << 8);
  }

  u24(what: string): number {
    if (this.end - this.pos < 3) this.need(3, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 3;
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
  }

  u32(what: string): number {
    if (this.end - this.pos < 4) this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
  }

  u64(what: string): bigint {
    const lo = this.u32(what);
    const hi = this.u32(what);
    return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
  }

  f32(what: string): number {
    this.need(4, what);
    for (let i = 0; i < 4; i++) f32Bytes[i] = this.buf[this.pos + i]!;
    this.pos += 4;
    return f32View[0]!;
  }

  /** `n` raw bytes as a view of the input. */
  bytes(n: number, what: string): Uint8Array {
    if (this.end - this.pos < n) this.need(n, what);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }

  /** Everything up to the end of the payload (the BYTES type). */
  rest(): Uint8Array {
    const p = this.pos;
    this.pos = this.end;
    return this.buf.subarray(p, this.end);
  }

  /** `n` bytes decoded as strict UTF-8. */
  utf8(n: number, what: string): string {
    if (this.end - this.pos < n) this.need(n, what);
    const p = this.pos;
    this.pos = p + n;
    return decodeUtf8(this.buf, p, p + n, what);
  }
}
