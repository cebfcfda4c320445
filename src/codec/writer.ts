// Cursor over one preallocated buffer. Encoders first compute the exact size
// (validating every value on the way), allocate once, then write without any
// further checks or copies beyond the field bytes themselves.
import { writeUtf8 } from './utf8.js';

const f32Bytes = new Uint8Array(4);
const f32View = new Float32Array(f32Bytes.buffer);

export class Writer {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    const b = this.buf;
    const p = this.pos;
    b[p] = v & 0xff;
    b[p + 1] = v >>> 8;
    this.pos = p + 2;
  }

  u24(v: number): void {
    const b = this.buf;
    const p = this.pos;
    b[p] = v & 0xff;
    b[p + 1] = (v >>> 8) & 0xff;
    b[p + 2] = v >>> 16;
    this.pos = p + 3;
  }

  u32(v: number): void {
    const b = this.buf;
    const p = this.pos;
    b[p] = v & 0xff;
    b[p + 1] = (v >>> 8) & 0xff;
    b[p + 2] = (v >>> 16) & 0xff;
    b[p + 3] = v >>> 24;
    this.pos = p + 4;
  }

  u64(v: bigint): void {
    this.u32(Number(v & 0xffffffffn));
    this.u32(Number(v >> 32n));
  }

  f32(v: number): void {
    f32View[0] = v;
    this.buf.set(f32Bytes, this.pos);
    this.pos += 4;
  }

  bytes(v: Uint8Array): void {
    const n = v.length;
    // TypedArray#set wins from a handful of bytes on; a loop beats its call overhead below that.
    if (n <= 8) {
      const b = this.buf;
      const p = this.pos;
      for (let i = 0; i < n; i++) b[p + i] = v[i]!;
    } else {
      this.buf.set(v, this.pos);
    }
    this.pos += n;
  }

  /** Writes a string already measured by utf8Length. */
  utf8(s: string, byteLength: number): void {
    writeUtf8(s, byteLength, this.buf, this.pos);
    this.pos += byteLength;
  }
}
