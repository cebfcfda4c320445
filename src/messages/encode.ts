// Encoding: measure (validating every field), allocate once, write. Throws a
// CodecError('invalid-value' | 'out-of-bounds') when the message does not fit
// its schema; encoding is given our own values, so a throw is a bug to fix,
// not peer input to handle.
import { allocBytes } from '../codec/alloc.js';
import { CodecError } from '../codec/errors.js';
import { encodeFrameHeader, FRAME_HEADER_SIZE, MAX_PAYLOAD_LENGTH } from '../codec/frame.js';
import { tlvSize, writeTlv, type Tlv } from '../codec/tlv.js';
import { Writer } from '../codec/writer.js';
import { schemaByName, type Message, type RegistryEntry } from './registry.js';

function entryOf(msg: Message): RegistryEntry {
  const entry = typeof msg === 'object' && msg !== null ? schemaByName(msg.type) : undefined;
  if (entry === undefined) {
    throw new CodecError(
      'invalid-value',
      'message',
      `unknown message type ${String((msg as { type?: unknown })?.type)}`,
    );
  }
  return entry;
}

/**
 * Encodes into a new buffer with `offset` bytes reserved in front. TLV fields
 * present on the message come first (in declaration order), then `extra`
 * TLVs verbatim (e.g. ones a proxy forwards without understanding them).
 */
function encode(
  msg: Message,
  offset: number,
  extra: readonly Tlv[] | undefined,
): { buf: Uint8Array; length: number; entry: RegistryEntry } {
  const entry = entryOf(msg);
  const m = msg as unknown as Record<string, unknown>;
  let length = entry.compiled.size(msg);
  let tlvLengths: number[] | undefined;
  for (let i = 0; i < entry.tlv.length; i++) {
    const [name, def] = entry.tlv[i]!;
    const v = m[name];
    if (v === undefined) continue;
    const n = def.value.size(v, `${entry.schema.name}.${name}`);
    (tlvLengths ??= []).push(n);
    length += 5 + n;
  }
  if (extra !== undefined) for (const t of extra) length += tlvSize(t, `${entry.schema.name}.TLV`);
  if (length > MAX_PAYLOAD_LENGTH) {
    throw new CodecError(
      'out-of-bounds',
      entry.schema.name,
      `payload of ${length} bytes exceeds ${MAX_PAYLOAD_LENGTH}`,
    );
  }

  const buf = allocBytes(offset + length);
  const w = new Writer(buf, offset);
  entry.compiled.write(w, msg);
  if (tlvLengths !== undefined) {
    let k = 0;
    for (let i = 0; i < entry.tlv.length; i++) {
      const [name, def] = entry.tlv[i]!;
      const v = m[name];
      if (v === undefined) continue;
      const n = tlvLengths[k++]!;
      w.u16(def.extension_type);
      w.u8(def.field_type);
      w.u16(n);
      def.value.write(w, v, n);
    }
  }
  if (extra !== undefined) for (const t of extra) writeTlv(w, t);
  if (w.pos !== buf.length) {
    throw new Error(`${entry.schema.name}: encoder wrote ${w.pos - offset} of ${length} bytes`);
  }
  return { buf, length, entry };
}

/** The message payload (no frame header). */
export function encodePayload(msg: Message, extraTlvs?: readonly Tlv[]): Uint8Array {
  return encode(msg, 0, extraTlvs).buf;
}

/** 6-byte frame header (channel_msg bit from the schema) followed by the payload. */
export function encodeFrame(msg: Message, extraTlvs?: readonly Tlv[]): Uint8Array {
  const { buf, length, entry } = encode(msg, FRAME_HEADER_SIZE, extraTlvs);
  const { schema } = entry;
  encodeFrameHeader(
    {
      extension_type: schema.extension_type,
      channel_msg: schema.channel_msg,
      msg_type: schema.msg_type,
      msg_length: length,
    },
    buf,
    0,
  );
  return buf;
}
