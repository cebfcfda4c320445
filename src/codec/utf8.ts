// UTF-8 for STR0_255 and TLV strings. Decoding is strict: invalid UTF-8 is a
// typed error instead of silently becoming U+FFFD, because these strings are
// identities and error codes that are compared byte for byte. Encoding refuses
// lone surrogates for the same reason (they have no UTF-8 form).
import { CodecError, decodeError } from './errors.js';

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Decodes `buf[start, end)`; short ASCII strings skip TextDecoder entirely. */
export function decodeUtf8(buf: Uint8Array, start: number, end: number, what: string): string {
  if (end - start <= 64) {
    let s = '';
    let i = start;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) break;
      s += String.fromCharCode(c);
    }
    if (i === end) return s;
  }
  try {
    return strictDecoder.decode(buf.subarray(start, end));
  } catch {
    throw decodeError('invalid-utf8', what, 'string is not valid UTF-8');
  }
}

/** Number of bytes `s` takes as UTF-8; throws on lone surrogates. */
export function utf8Length(s: string, what: string): number {
  let n = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < len ? s.charCodeAt(i + 1) : 0;
      if (d < 0xdc00 || d > 0xdfff) throw new CodecError('invalid-value', what, 'lone surrogate in string');
      n += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new CodecError('invalid-value', what, 'lone surrogate in string');
    } else n += 3;
  }
  return n;
}

/** Writes `s` (already measured as `byteLength`) into `buf` at `offset`. */
export function writeUtf8(s: string, byteLength: number, buf: Uint8Array, offset: number): void {
  if (byteLength === s.length) {
    for (let i = 0; i < byteLength; i++) buf[offset + i] = s.charCodeAt(i);
    return;
  }
  encoder.encodeInto(s, buf.subarray(offset, offset + byteLength));
}
