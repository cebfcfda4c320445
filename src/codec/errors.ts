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

/**
 * A CodecError for the decode side, built without a stack trace: on hostile
 * input these are expected outcomes, produced at line rate, and a trace would
 * only point into the decoder.
 */
export function decodeError(code: CodecErrorCode, what: string, detail: string): CodecError {
  return withoutStack(() => new CodecError(code, what, detail));
}

/** Runs `make` with stack capture off (V8 skips the trace when the limit is 0). */
export function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
