// SV2 frame header (spec 3.2): extension_type U16 | msg_type U8 | msg_length U24,
// all little-endian. Bit 15 of extension_type is `channel_msg`: when set the
// payload starts with a U32 channel_id. The extension itself is the low 15 bits.

export const FRAME_HEADER_SIZE = 6;
/** Largest payload a U24 msg_length can describe. */
export const MAX_PAYLOAD_LENGTH = 0xffffff;
export const CHANNEL_MSG_BIT = 0x8000;

export interface FrameHeader {
  /** Extension type without the channel_msg bit (0 = no extension). */
  extension_type: number;
  /** Bit 15 of the wire extension_type. */
  channel_msg: boolean;
  msg_type: number;
  /** Payload length in bytes (plaintext length, also under Noise). */
  msg_length: number;
}

export class FrameHeaderError extends Error {
  override readonly name = 'FrameHeaderError';
}

/** Decodes the 6-byte header at `offset`; throws FrameHeaderError if fewer than 6 bytes remain. */
export function decodeFrameHeader(bytes: Uint8Array, offset = 0): FrameHeader {
  if (bytes.length - offset < FRAME_HEADER_SIZE) {
    throw new FrameHeaderError(
      `frame header needs ${FRAME_HEADER_SIZE} bytes, ${Math.max(0, bytes.length - offset)} available`,
    );
  }
  const ext = bytes[offset]! | (bytes[offset + 1]! << 8);
  return {
    extension_type: ext & ~CHANNEL_MSG_BIT,
    channel_msg: (ext & CHANNEL_MSG_BIT) !== 0,
    msg_type: bytes[offset + 2]!,
    msg_length: bytes[offset + 3]! | (bytes[offset + 4]! << 8) | (bytes[offset + 5]! << 16),
  };
}

/** Writes the 6-byte header into `out` at `offset` (allocates when `out` is omitted). */
export function encodeFrameHeader(
  header: FrameHeader,
  out: Uint8Array = new Uint8Array(FRAME_HEADER_SIZE),
  offset = 0,
): Uint8Array {
  const { extension_type, msg_type, msg_length } = header;
  if (!Number.isInteger(extension_type) || extension_type < 0 || extension_type > 0x7fff) {
    throw new FrameHeaderError(`extension_type ${extension_type} is outside 0..0x7fff`);
  }
  if (!Number.isInteger(msg_type) || msg_type < 0 || msg_type > 0xff) {
    throw new FrameHeaderError(`msg_type ${msg_type} is outside 0..0xff`);
  }
  if (!Number.isInteger(msg_length) || msg_length < 0 || msg_length > MAX_PAYLOAD_LENGTH) {
    throw new FrameHeaderError(`msg_length ${msg_length} is outside 0..${MAX_PAYLOAD_LENGTH}`);
  }
  const ext = extension_type | (header.channel_msg ? CHANNEL_MSG_BIT : 0);
  out[offset] = ext & 0xff;
  out[offset + 1] = ext >>> 8;
  out[offset + 2] = msg_type;
  out[offset + 3] = msg_length & 0xff;
  out[offset + 4] = (msg_length >>> 8) & 0xff;
  out[offset + 5] = msg_length >>> 16;
  return out;
}

/**
 * How many more bytes `buffered` needs to hold one whole frame: the rest of
 * the header while it is incomplete, then the rest of the payload; 0 once the
 * frame is complete (extra bytes after it belong to the next frame).
 */
export function frameBytesMissing(buffered: Uint8Array, offset = 0): number {
  const have = buffered.length - offset;
  if (have < FRAME_HEADER_SIZE) return FRAME_HEADER_SIZE - Math.max(0, have);
  const length = buffered[offset + 3]! | (buffered[offset + 4]! << 8) | (buffered[offset + 5]! << 16);
  return Math.max(0, FRAME_HEADER_SIZE + length - have);
}
