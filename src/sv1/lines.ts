// Newline-delimited input with a hard cap. Bytes after the last newline are
// the only thing kept between reads, and never more than `maxLineBytes` of
// them: a peer that sends an endless line is told to go before it costs
// memory. A trailing '\r' is dropped (some tools send CRLF) and blank lines
// are skipped.
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024;

export interface SplitResult {
  lines: string[];
  /** A line (or an unterminated tail) exceeded the cap: close the connection. */
  overflow: boolean;
}

const NEWLINE = 0x0a;

// One decoder for every connection: without `stream` it keeps no state from
// one call to the next, and each instance holds a native converter.
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Shared while nothing is held back (never pushed to). */
const NO_PENDING: Uint8Array[] = [];

export class LineSplitter {
  private pending: Uint8Array[] = NO_PENDING;
  private pendingBytes = 0;
  private failed = false;

  constructor(readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError('maxLineBytes must be ≥ 1');
  }

  /** Bytes currently held back waiting for a newline (always ≤ maxLineBytes). */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Feeds one read. A line that is not valid UTF-8 comes back as INVALID_UTF8_LINE. */
  push(chunk: Uint8Array | string): SplitResult {
    const lines: string[] = [];
    if (this.failed) return { lines, overflow: true };
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(NEWLINE, start);
      if (nl < 0) break;
      const piece = bytes.subarray(start, nl);
      if (this.pendingBytes + piece.length > this.maxLineBytes) return this.fail(lines);
      const line = this.take(piece);
      if (line !== undefined) lines.push(line);
      start = nl + 1;
    }
    const tail = bytes.subarray(start);
    if (tail.length > 0) {
      if (this.pendingBytes + tail.length > this.maxLineBytes) return this.fail(lines);
      // Copy: the caller may reuse its read buffer.
      const copy = Uint8Array.from(tail);
      if (this.pending === NO_PENDING) this.pending = [copy];
      else this.pending.push(copy);
      this.pendingBytes += tail.length;
    }
    return { lines, overflow: false };
  }

  private fail(lines: string[]): SplitResult {
    this.failed = true;
    this.pending = NO_PENDING;
    this.pendingBytes = 0;
    return { lines, overflow: true };
  }

  private take(piece: Uint8Array): string | undefined {
    let whole = piece;
    if (this.pending.length > 0) {
      whole = new Uint8Array(this.pendingBytes + piece.length);
      let at = 0;
      for (const p of this.pending) {
        whole.set(p, at);
        at += p.length;
      }
      whole.set(piece, at);
      this.pending = NO_PENDING;
      this.pendingBytes = 0;
    }
    let end = whole.length;
    if (end > 0 && whole[end - 1] === 0x0d) end--;
    if (end === 0) return undefined;
    try {
      return decoder.decode(whole.subarray(0, end));
    } catch {
      return INVALID_UTF8_LINE;
    }
  }
}

/** Stands in for a line that was not UTF-8: it is not JSON, so it gets the invalid-JSON answer. */
export const INVALID_UTF8_LINE = '\u0000';
