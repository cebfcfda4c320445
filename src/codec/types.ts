// The SV2 data types of spec 3.1 (plus F32, which the Mining Protocol uses for
// nominal_hash_rate: IEEE 754 binary32, little-endian). Each type is a small
// descriptor that can measure+validate a value, write it and read it; message
// schemas are lists of these, and their encoders/decoders are composed from
// them once at module load.
//
// JS representation: integers up to U32 and F32 are numbers, U64 is a bigint,
// BOOL is a boolean, STR0_255 a string (strict UTF-8, length bound in bytes),
// byte types are Uint8Array (decoded ones are views of the input, see
// reader.ts), OPTION[T] is T | null, SEQ*[T] is T[].
import { CodecError, decodeError } from './errors.js';
import type { Reader } from './reader.js';
import { utf8Length } from './utf8.js';
import type { Writer } from './writer.js';

export type Kind =
  | 'BOOL'
  | 'U8'
  | 'U16'
  | 'U24'
  | 'U32'
  | 'U64'
  | 'F32'
  | 'U256'
  | 'PUBKEY'
  | 'SIGNATURE'
  | 'STR0_255'
  | 'B0_32'
  | 'B0_255'
  | 'B0_64K'
  | 'B0_16M'
  | 'BYTES'
  | 'OPTION'
  | 'SEQ0_255'
  | 'SEQ0_64K';

export interface DataType<T> {
  readonly kind: Kind;
  /** Spec spelling, e.g. "SEQ0_255[U256]". */
  readonly name: string;
  /** Encoded size when it is the same for every value, else undefined. */
  readonly fixed: number | undefined;
  /** Length bound: bytes for STR/B types, element count for OPTION/SEQ. */
  readonly max: number;
  /** Element type of OPTION/SEQ. */
  readonly of: DataType<unknown> | undefined;
  /** Validates `v` and returns its encoded size; throws CodecError('invalid-value' | 'out-of-bounds'). */
  size(v: T, what: string): number;
  /** Writes a value that `size` accepted. */
  write(w: Writer, v: T): void;
  /** Reads one value; throws CodecError on any bounds or validity problem. */
  read(r: Reader, what: string): T;
}

/** The JS value type of a data type descriptor. */
export type ValueOf<D> = D extends DataType<infer T> ? T : never;

function bad(what: string, expected: string, v: unknown): never {
  const shown = typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : String(v);
  throw new CodecError('invalid-value', what, `expected ${expected}, got ${shown.slice(0, 80)}`);
}

function uint(kind: 'U8' | 'U16' | 'U24' | 'U32', bytes: number, mask: number): DataType<number> {
  const read = {
    U8: (r: Reader, what: string) => r.u8(what),
    U16: (r: Reader, what: string) => r.u16(what),
    U24: (r: Reader, what: string) => r.u24(what),
    U32: (r: Reader, what: string) => r.u32(what),
  }[kind];
  const write = {
    U8: (w: Writer, v: number) => w.u8(v),
    U16: (w: Writer, v: number) => w.u16(v),
    U24: (w: Writer, v: number) => w.u24(v),
    U32: (w: Writer, v: number) => w.u32(v),
  }[kind];
  const check =
    kind === 'U32'
      ? (v: number, what: string) => {
          if (v >>> 0 !== v) bad(what, kind, v);
          return 4;
        }
      : (v: number, what: string) => {
          if ((v & mask) !== v || typeof v !== 'number') bad(what, kind, v);
          return bytes;
        };
  return { kind, name: kind, fixed: bytes, max: 0, of: undefined, size: check, write, read };
}

export const U8 = uint('U8', 1, 0xff);
export const U16 = uint('U16', 2, 0xffff);
export const U24 = uint('U24', 3, 0xffffff);
export const U32 = uint('U32', 4, 0xffffffff);

const U64_MAX = (1n << 64n) - 1n;
export const U64: DataType<bigint> = {
  kind: 'U64',
  name: 'U64',
  fixed: 8,
  max: 0,
  of: undefined,
  size(v, what) {
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) bad(what, 'U64 bigint', v);
    return 8;
  },
  write: (w, v) => w.u64(v),
  read: (r, what) => r.u64(what),
};

export const BOOL: DataType<boolean> = {
  kind: 'BOOL',
  name: 'BOOL',
  fixed: 1,
  max: 0,
  of: undefined,
  size(v, what) {
    if (typeof v !== 'boolean') bad(what, 'boolean', v);
    return 1;
  },
  write: (w, v) => w.u8(v ? 1 : 0),
  read: (r, what) => r.bool(what),
};

/** Any JS number is accepted and rounded to binary32 on the wire. */
export const F32: DataType<number> = {
  kind: 'F32',
  name: 'F32',
  fixed: 4,
  max: 0,
  of: undefined,
  size(v, what) {
    if (typeof v !== 'number') bad(what, 'number', v);
    return 4;
  },
  write: (w, v) => w.f32(v),
  read: (r, what) => r.f32(what),
};

function fixedBytes(kind: 'U256' | 'PUBKEY' | 'SIGNATURE', n: number): DataType<Uint8Array> {
  return {
    kind,
    name: kind,
    fixed: n,
    max: n,
    of: undefined,
    size(v, what) {
      if (!(v instanceof Uint8Array) || v.length !== n) bad(what, `${n}-byte Uint8Array`, v);
      return n;
    },
    write: (w, v) => w.bytes(v),
    read: (r, what) => r.bytes(n, what),
  };
}

/** 32 bytes, little-endian integer; hashes travel in internal byte order. */
export const U256 = fixedBytes('U256', 32);
/** BIP340 x-only public key. */
export const PUBKEY = fixedBytes('PUBKEY', 32);
/** BIP340 Schnorr signature. */
export const SIGNATURE = fixedBytes('SIGNATURE', 64);

function prefixedBytes(kind: 'B0_32' | 'B0_255' | 'B0_64K' | 'B0_16M', prefix: 1 | 2 | 3, max: number) {
  const readLen =
    prefix === 1
      ? (r: Reader, what: string) => r.u8(what)
      : prefix === 2
        ? (r: Reader, what: string) => r.u16(what)
        : (r: Reader, what: string) => r.u24(what);
  const writeLen =
    prefix === 1
      ? (w: Writer, n: number) => w.u8(n)
      : prefix === 2
        ? (w: Writer, n: number) => w.u16(n)
        : (w: Writer, n: number) => w.u24(n);
  const type: DataType<Uint8Array> = {
    kind,
    name: kind,
    fixed: undefined,
    max,
    of: undefined,
    size(v, what) {
      if (!(v instanceof Uint8Array)) bad(what, 'Uint8Array', v);
      if (v.length > max)
        throw new CodecError('out-of-bounds', what, `${kind} holds at most ${max} bytes, got ${v.length}`);
      return prefix + v.length;
    },
    write(w, v) {
      writeLen(w, v.length);
      w.bytes(v);
    },
    read(r, what) {
      const n = readLen(r, what);
      if (n > max) throw decodeError('out-of-bounds', what, `${kind} length ${n} exceeds ${max}`);
      return r.bytes(n, what);
    },
  };
  return type;
}

export const B0_32 = prefixedBytes('B0_32', 1, 32);
export const B0_255 = prefixedBytes('B0_255', 1, 255);
export const B0_64K = prefixedBytes('B0_64K', 2, 0xffff);
export const B0_16M = prefixedBytes('B0_16M', 3, 0xffffff);

/** The rest of the payload; only valid as a message's last field. */
export const BYTES: DataType<Uint8Array> = {
  kind: 'BYTES',
  name: 'BYTES',
  fixed: undefined,
  max: 0xffffff,
  of: undefined,
  size(v, what) {
    if (!(v instanceof Uint8Array)) bad(what, 'Uint8Array', v);
    return v.length;
  },
  write: (w, v) => w.bytes(v),
  read: (r) => r.rest(),
};

export const STR0_255: DataType<string> = {
  kind: 'STR0_255',
  name: 'STR0_255',
  fixed: undefined,
  max: 255,
  of: undefined,
  size(v, what) {
    if (typeof v !== 'string') bad(what, 'string', v);
    const n = utf8Length(v, what);
    if (n > 255) throw new CodecError('out-of-bounds', what, `STR0_255 holds at most 255 bytes, got ${n}`);
    return 1 + n;
  },
  write(w, v) {
    // ASCII is the common case: its byte length is its string length.
    const n = v.length <= 255 && isAscii(v) ? v.length : utf8Length(v, '');
    w.u8(n);
    w.utf8(v, n);
  },
  read(r, what) {
    const n = r.u8(what);
    return r.utf8(n, what);
  },
};

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function sequence<T>(kind: 'OPTION' | 'SEQ0_255' | 'SEQ0_64K', of: DataType<T>): DataType<T[]> {
  const max = kind === 'SEQ0_64K' ? 0xffff : kind === 'SEQ0_255' ? 255 : 1;
  const prefix = kind === 'SEQ0_64K' ? 2 : 1;
  const name = `${kind}[${of.name}]`;
  const elemFixed = of.fixed;
  return {
    kind,
    name,
    fixed: undefined,
    max,
    of: of as DataType<unknown>,
    size(v, what) {
      if (!Array.isArray(v)) bad(what, 'array', v);
      const n = v.length;
      if (n > max)
        throw new CodecError('out-of-bounds', what, `${name} holds at most ${max} elements, got ${n}`);
      let total = prefix;
      for (let i = 0; i < n; i++) total += of.size(v[i] as T, what);
      return total;
    },
    write(w, v) {
      if (prefix === 1) w.u8(v.length);
      else w.u16(v.length);
      for (let i = 0; i < v.length; i++) of.write(w, v[i] as T);
    },
    read(r, what) {
      const n = prefix === 1 ? r.u8(what) : r.u16(what);
      if (n > max) throw decodeError('out-of-bounds', what, `${name} count ${n} exceeds ${max}`);
      // Every element takes at least one byte: refuse counts the input cannot back
      // before building anything.
      const least = n * (elemFixed ?? 1);
      if (least > r.remaining) r.need(least, what);
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(of.read(r, what));
      return out;
    },
  };
}

export function SEQ0_255<T>(of: DataType<T>): DataType<T[]> {
  return sequence('SEQ0_255', of);
}

export function SEQ0_64K<T>(of: DataType<T>): DataType<T[]> {
  return sequence('SEQ0_64K', of);
}

/** OPTION[T] is SEQ0_1[T] on the wire: a count byte of 0 or 1, then T if 1. */
export function OPTION<T>(of: DataType<T>): DataType<T | null> {
  const name = `OPTION[${of.name}]`;
  return {
    kind: 'OPTION',
    name,
    fixed: undefined,
    max: 1,
    of: of as DataType<unknown>,
    size(v, what) {
      return v === null ? 1 : 1 + of.size(v, what);
    },
    write(w, v) {
      if (v === null) w.u8(0);
      else {
        w.u8(1);
        of.write(w, v);
      }
    },
    read(r, what) {
      const n = r.u8(what);
      if (n === 0) return null;
      if (n !== 1) throw decodeError('out-of-bounds', what, `${name} count ${n} exceeds 1`);
      return of.read(r, what);
    },
  };
}
