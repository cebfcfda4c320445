// Decoding peer input. Nothing here throws: every outcome is a DecodeResult.
//
// - Known message: fields are read in schema order; bytes left after the last
//   field must form a TLV list (spec 3.4.3 puts extension fields there).
//   TLV fields the schema knows (e.g. 0x0002 user_identity on
//   SubmitSharesExtended) become message properties when their extension is
//   negotiated (`options.extensions`; all known ones when omitted) and must
//   be valid, else the message is rejected; all other TLVs are returned raw
//   in `tlvs` for the caller to ignore or forward. Leftover bytes that are not
//   a TLV list are 'trailing-bytes'.
// - Unknown extension_type (spec 3.4): a frame with the channel_msg bit set
//   is for the channel's endpoint, so a proxy forwards it ('forward', with
//   the channel_id from the first four payload bytes); otherwise it is for
//   this endpoint and is discarded ('discard'). An unknown msg_type within a
//   known extension is discarded likewise.
// - The channel_msg bit of a known message is reported, not enforced: it is
//   routing information, and deployed peers have disagreed with the spec
//   table on it for some messages.
// - Decoded byte fields are views of the input buffer (see codec/reader.ts).
import { CodecError, withoutStack, type CodecErrorCode } from '../codec/errors.js';
import { decodeFrameHeader, FRAME_HEADER_SIZE, type FrameHeader } from '../codec/frame.js';
import { Reader } from '../codec/reader.js';
import { readTlvList, type Tlv } from '../codec/tlv.js';
import { KNOWN_MESSAGE_EXTENSIONS, schemaByWireType, type Message, type RegistryEntry } from './registry.js';

export type MessageDecodeErrorCode =
  | Exclude<CodecErrorCode, 'invalid-value'>
  | 'unknown-message'
  | 'unknown-extension'
  /** A defect in this decoder (should never happen; reported rather than thrown). */
  | 'internal';

/** What the receiver should do with a frame that did not decode. */
export type Disposition =
  /** Malformed message of a known type: a protocol error by the peer. */
  | 'reject'
  /** Not for us and not understood: ignore it (spec 3.4). */
  | 'discard'
  /** Channel message of an unknown extension: a proxy passes it on unchanged (spec 3.4). */
  | 'forward';

export class MessageDecodeError extends Error {
  override readonly name = 'MessageDecodeError';
  constructor(
    readonly code: MessageDecodeErrorCode,
    readonly extension_type: number,
    readonly msg_type: number,
    /** Message name when the type is known. */
    readonly message_name: string | undefined,
    /** Field being read when it failed, e.g. "extranonce". */
    readonly field: string | undefined,
    detail: string,
    /** For channel messages: the first four payload bytes, when present. */
    readonly channel_id?: number,
  ) {
    super(
      `${message_name ?? `message 0x${extension_type.toString(16)}/0x${msg_type.toString(16)}`}${field ? `.${field}` : ''}: ${detail}`,
    );
  }
}

export interface DecodeOk {
  ok: true;
  message: Message;
  /** The channel_msg bit as received. */
  channel_msg: boolean;
  /** TLVs not turned into message fields (unknown or not negotiated), in wire order. */
  tlvs: readonly Tlv[];
}

export interface DecodeFailure {
  ok: false;
  error: MessageDecodeError;
  disposition: Disposition;
}

export type DecodeResult = DecodeOk | DecodeFailure;

export interface DecodeOptions {
  /** Reject BOOL bytes other than 0/1 instead of reading bit 0 only (spec 3.1 says to read bit 0 only). */
  strictBool?: boolean;
  /** Negotiated extensions: TLV fields of other extensions are left raw in `tlvs`. Default: all known. */
  extensions?: readonly number[];
}

/** The header fields decoding needs; a FrameHeader fits. */
export type PayloadHeader = Pick<FrameHeader, 'extension_type' | 'msg_type'> & { channel_msg?: boolean };

const NO_TLVS: readonly Tlv[] = Object.freeze([]);

function fail(
  code: MessageDecodeErrorCode,
  header: PayloadHeader,
  name: string | undefined,
  field: string | undefined,
  detail: string,
  disposition: Disposition,
  channel_id?: number,
): DecodeFailure {
  return {
    ok: false,
    // A result value, not a throw: its stack would only point into this file.
    error: withoutStack(
      () =>
        new MessageDecodeError(code, header.extension_type, header.msg_type, name, field, detail, channel_id),
    ),
    disposition,
  };
}

function unknown(header: PayloadHeader, bytes: Uint8Array, start: number): DecodeFailure {
  const knownExtension = KNOWN_MESSAGE_EXTENSIONS.has(header.extension_type);
  const code = knownExtension ? 'unknown-message' : 'unknown-extension';
  const detail = knownExtension ? 'unknown msg_type' : 'unknown extension_type';
  if (!knownExtension && header.channel_msg === true && bytes.length - start >= 4) {
    const b = bytes;
    const channel_id = (b[start]! | (b[start + 1]! << 8) | (b[start + 2]! << 16)) + b[start + 3]! * 0x1000000;
    return fail(code, header, undefined, undefined, detail, 'forward', channel_id);
  }
  return fail(code, header, undefined, undefined, detail, 'discard');
}

function fromThrown(e: unknown, header: PayloadHeader, entry: RegistryEntry): DecodeFailure {
  const name = entry.schema.name;
  if (e instanceof CodecError && e.code !== 'invalid-value') {
    const dot = e.what.indexOf('.');
    const field = dot >= 0 ? e.what.slice(dot + 1) : undefined;
    const detail = e.message.slice(e.what.length + 2);
    return fail(e.code, header, name, field, detail, 'reject');
  }
  return fail('internal', header, name, undefined, e instanceof Error ? e.message : String(e), 'reject');
}

/** Applies the schema's TLV fields to `m`; returns the TLVs left uninterpreted. */
function applyTlvs(
  entry: RegistryEntry,
  m: Record<string, unknown>,
  tlvs: Tlv[],
  options: DecodeOptions | undefined,
): readonly Tlv[] {
  const negotiated = options?.extensions;
  const rest: Tlv[] = [];
  for (const t of tlvs) {
    let used = false;
    for (const [field, def] of entry.tlv) {
      if (def.extension_type !== t.extension_type || def.field_type !== t.field_type) continue;
      if (negotiated !== undefined && !negotiated.includes(def.extension_type)) break;
      if (m[field] !== undefined) break; // a repeated field: keep the first, pass the rest on raw
      m[field] = def.value.read(t.value, `${entry.schema.name}.${field}`);
      used = true;
      break;
    }
    if (!used) rest.push(t);
  }
  return rest.length === 0 ? NO_TLVS : rest;
}

/** Decodes one payload given its header's extension_type, msg_type and channel_msg bit. */
export function decodePayload(
  header: PayloadHeader,
  payload: Uint8Array,
  options?: DecodeOptions,
): DecodeResult {
  return decodeRange(header, payload, 0, options);
}

/** Decodes the payload `bytes[start..]` (a frame is decoded in place, without a payload view). */
function decodeRange(
  header: PayloadHeader,
  bytes: Uint8Array,
  start: number,
  options?: DecodeOptions,
): DecodeResult {
  const entry = schemaByWireType(header.extension_type, header.msg_type);
  if (entry === undefined) return unknown(header, bytes, start);
  const r = new Reader(bytes, start, bytes.length, options);
  try {
    const m = entry.compiled.read(r);
    let tlvs = NO_TLVS;
    if (r.pos < r.end) {
      let list: Tlv[];
      try {
        list = readTlvList(r, `${entry.schema.name}.TLV`);
      } catch (e) {
        const what = e instanceof CodecError ? e.message : String(e);
        return fail(
          'trailing-bytes',
          header,
          entry.schema.name,
          undefined,
          `bytes after the last field are not TLVs (${what})`,
          'reject',
        );
      }
      tlvs = applyTlvs(entry, m, list, options);
    }
    return {
      ok: true,
      message: m as unknown as Message,
      channel_msg: header.channel_msg ?? entry.schema.channel_msg,
      tlvs,
    };
  } catch (e) {
    return fromThrown(e, header, entry);
  }
}

/** Decodes a buffer holding exactly one frame: 6-byte header then msg_length payload bytes. */
export function decodeFrame(bytes: Uint8Array, options?: DecodeOptions): DecodeResult {
  if (bytes.length < FRAME_HEADER_SIZE) {
    const h = { extension_type: 0, msg_type: 0 };
    return fail(
      'truncated',
      h,
      undefined,
      'header',
      `frame header needs ${FRAME_HEADER_SIZE} bytes, got ${bytes.length}`,
      'reject',
    );
  }
  const header = decodeFrameHeader(bytes);
  const have = bytes.length - FRAME_HEADER_SIZE;
  if (have !== header.msg_length) {
    const code = have < header.msg_length ? 'truncated' : 'trailing-bytes';
    const name = schemaByWireType(header.extension_type, header.msg_type)?.schema.name;
    return fail(
      code,
      header,
      name,
      undefined,
      `msg_length says ${header.msg_length} bytes, frame carries ${have}`,
      'reject',
    );
  }
  return decodeRange(header, bytes, FRAME_HEADER_SIZE, options);
}
