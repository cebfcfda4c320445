// TLV fields (spec 3.4.3): Type = extension_type U16 ‖ field_type U8,
// Length = U16, then Length bytes of Value; appended after a message's last
// field and counted in msg_length.
//
// Byte order: Type and Length are little-endian. The spec's 3.4.3 and 0x0002
// examples print them big-endian (00 02 01 00 0A …), but spec 3.1 says every
// multibyte integer is little-endian and the reference implementation writes
// 02 00 01 0A 00 …; interoperating with deployed peers requires the latter.
import { CodecError } from './errors.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

export const TLV_HEADER_SIZE = 5;
export const TLV_MAX_VALUE_LENGTH = 0xffff;

export interface Tlv {
  extension_type: number;
  field_type: number;
  /** Value bytes; a view of the input when decoded. */
  value: Uint8Array;
}

export function tlvSize(t: Tlv, what = 'TLV'): number {
  const { extension_type, field_type, value } = t;
  if ((extension_type & 0xffff) !== extension_type) {
    throw new CodecError('invalid-value', what, `extension_type ${extension_type} is not a U16`);
  }
  if ((field_type & 0xff) !== field_type)
    throw new CodecError('invalid-value', what, `field_type ${field_type} is not a U8`);
  if (!(value instanceof Uint8Array))
    throw new CodecError('invalid-value', what, 'value is not a Uint8Array');
  if (value.length > TLV_MAX_VALUE_LENGTH) {
    throw new CodecError(
      'out-of-bounds',
      what,
      `value of ${value.length} bytes exceeds ${TLV_MAX_VALUE_LENGTH}`,
    );
  }
  return TLV_HEADER_SIZE + value.length;
}

export function writeTlv(w: Writer, t: Tlv): void {
  w.u16(t.extension_type);
  w.u8(t.field_type);
  w.u16(t.value.length);
  w.bytes(t.value);
}

/** Reads one TLV; throws 'truncated' if its header or value runs past the reader's end. */
export function readTlv(r: Reader, what = 'TLV'): Tlv {
  r.need(TLV_HEADER_SIZE, `${what} header`);
  const extension_type = r.u16(what);
  const field_type = r.u8(what);
  const n = r.u16(what);
  return { extension_type, field_type, value: r.bytes(n, `${what} value`) };
}

/** Reads TLVs until the reader's end. */
export function readTlvList(r: Reader, what = 'TLV'): Tlv[] {
  const out: Tlv[] = [];
  while (r.remaining > 0) out.push(readTlv(r, what));
  return out;
}
