// Value types of TLV fields. A TLV's own Length frames the value, so values
// carry no inner length prefix; each type states its byte bound, and a value
// over the bound makes the whole message invalid (spec 3.4.3).
import { CodecError, decodeError } from '../codec/errors.js';
import { decodeUtf8, utf8Length } from '../codec/utf8.js';
import type { Writer } from '../codec/writer.js';

export interface TlvValueType<T> {
  readonly name: string;
  /** Largest value length in bytes. */
  readonly max: number;
  /** Validates `v` and returns its length in bytes. */
  size(v: T, what: string): number;
  /** Writes a value of `length` bytes that `size` accepted. */
  write(w: Writer, v: T, length: number): void;
  /** Decodes a whole TLV value; throws CodecError when it is out of bounds or malformed. */
  read(value: Uint8Array, what: string): T;
}

/** UTF-8 text of at most `max` bytes, unpadded. */
export function utf8Text(max: number): TlvValueType<string> {
  return {
    name: `UTF-8[0..${max}]`,
    max,
    size(v, what) {
      if (typeof v !== 'string') throw new CodecError('invalid-value', what, 'expected string');
      const n = utf8Length(v, what);
      if (n > max) throw new CodecError('out-of-bounds', what, `at most ${max} bytes, got ${n}`);
      return n;
    },
    write: (w, v, length) => w.utf8(v, length),
    read(value, what) {
      if (value.length > max)
        throw decodeError('out-of-bounds', what, `at most ${max} bytes, got ${value.length}`);
      return decodeUtf8(value, 0, value.length, what);
    },
  };
}
