// Bitcoin serialization primitives the devnet needs: double SHA-256, hex in
// both byte orders, and a bounds-checked reader/writer with CompactSize.
// Kept private to the devnet so it does not wait on the shared bitcoin layer.
import { hash } from 'node:crypto';

/** One-shot node:crypto hashing: the fastest option measured for small inputs. */
export function sha256(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer');
}

export function sha256d(data: Uint8Array): Buffer {
  return sha256(sha256(data));
}

/** Internal byte order -> the big-endian hex that RPC and explorers print. */
export function toDisplayHex(internal: Uint8Array): string {
  return Buffer.from(internal).reverse().toString('hex');
}

/** Big-endian display hex -> internal byte order; null when not 32 bytes of hex. */
export function fromDisplayHex(display: string): Buffer | null {
  if (!/^[0-9a-fA-F]{64}$/.test(display)) return null;
  return Buffer.from(display, 'hex').reverse();
}

export function isHex(s: string): boolean {
  return s.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(s);
}

export class DecodeError extends Error {}

/** Sequential reader that throws DecodeError instead of reading past the end. */
export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (n > this.remaining) throw new DecodeError(`need ${n} bytes at offset ${this.pos}`);
  }

  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  /** CompactSize; rejects non-canonical encodings and sizes above `max`. */
  varint(max = 0x02000000): number {
    const first = this.u8();
    let v: number;
    if (first < 0xfd) return first;
    if (first === 0xfd) {
      this.need(2);
      v = this.buf.readUInt16LE(this.pos);
      this.pos += 2;
      if (v < 0xfd) throw new DecodeError('non-canonical CompactSize');
    } else if (first === 0xfe) {
      v = this.u32();
      if (v < 0x10000) throw new DecodeError('non-canonical CompactSize');
    } else {
      const big = this.u64();
      if (big < 0x100000000n) throw new DecodeError('non-canonical CompactSize');
      throw new DecodeError('CompactSize too large');
    }
    if (v > max) throw new DecodeError('CompactSize too large');
    return v;
  }

  varbytes(): Buffer {
    return this.bytes(this.varint());
  }
}

/** Growable writer; `done()` returns exactly the bytes written. */
export class Writer {
  private buf = Buffer.alloc(256);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
    return this;
  }

  i32(v: number): this {
    this.room(4);
    this.buf.writeInt32LE(v | 0, this.len);
    this.len += 4;
    return this;
  }

  u64(v: bigint): this {
    this.room(8);
    this.buf.writeBigUInt64LE(v, this.len);
    this.len += 8;
    return this;
  }

  varint(v: number): this {
    if (v < 0xfd) return this.u8(v);
    if (v <= 0xffff) {
      this.u8(0xfd);
      this.room(2);
      this.buf.writeUInt16LE(v, this.len);
      this.len += 2;
      return this;
    }
    return this.u8(0xfe).u32(v);
  }

  varbytes(b: Uint8Array): this {
    return this.varint(b.length).bytes(b);
  }

  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}
