// Typed failures of the SV2 codec. Decoders never let anything else escape:
// every bounds or validity problem becomes a CodecError that names the field
// being read, so a peer's bad input can be answered or logged precisely.

export type CodecErrorCode =
  /** The field needs more bytes than the buffer holds. */
  | 'truncated'
  /** A length, count or value is outside the range its data type allows. */
  | 'out-of-bounds'
  /** Bytes are left after the last field that are not a well-formed TLV list. */
  | 'trailing-bytes'
  /** A BOOL byte has padding bits set and strict BOOL decoding was asked for. */
  | 'bad-bool'
  /** A string field is not valid UTF-8. */
  | 'invalid-utf8'
  /** Encoding only: a value does not fit its data type (wrong JS type, range, lone surrogate). */
  | 'invalid-value';

export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    readonly code: CodecErrorCode,
    /** What was being read or written, e.g. "SubmitSharesExtended.extranonce". */
    readonly what: string,
    detail: string,
  ) {
    super(`${what}: ${detail}`);
  }
}
