// SV2 messages: every message of spec section 8 plus extensions 0x0001
// (RequestExtensions*) and 0x0002 (user_identity TLV on SubmitSharesExtended).
//
// Each message is declared once as a schema (common.ts, mining.ts,
// job-declaration.ts, template-distribution.ts, extensions.ts); encoders,
// decoders and the TypeScript types are derived from those declarations.
//
// Messages are plain objects discriminated by `type`, the spec name without
// dots (SetupConnectionSuccess, SubmitSharesError, …); the two SetNewPrevHash
// messages are `SetNewPrevHash` (Mining, 0x20) and `SetNewPrevHashTdp`
// (Template Distribution, 0x72). Fields carry the spec's names. Integers up to
// U32 and F32 are numbers, U64 bigints, BOOL booleans, STR0_255 strings, byte
// types Uint8Array, OPTION[T] is T | null and SEQ*[T] arrays.
//
//   encodePayload(msg, extraTlvs?)      -> Uint8Array        payload only
//   encodeFrame(msg, extraTlvs?)        -> Uint8Array        6-byte header + payload
//   decodePayload(header, payload, opt) -> DecodeResult
//   decodeFrame(bytes, opt)             -> DecodeResult      bytes = exactly one frame
//
//   DecodeResult = { ok: true, message, channel_msg, tlvs }
//                | { ok: false, error: MessageDecodeError, disposition: 'reject' | 'discard' | 'forward' }
//
// Encoding throws CodecError on values that do not fit their types. Decoding
// never throws; see decode.ts for how TLVs, unknown types and the channel_msg
// bit are handled. Decoded byte fields alias the input buffer.
export * from './common.js';
export * from './constants.js';
export * from './decode.js';
export * from './encode.js';
export * from './extensions.js';
export * from './job-declaration.js';
export * from './mining.js';
export * from './registry.js';
export type { MessageOf, MessageSchema, Protocol, TlvFieldDef } from './schema.js';
export * from './template-distribution.js';
export type { TlvValueType } from './tlv-values.js';
