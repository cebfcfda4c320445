// Unencrypted SV2 framing for a local network that explicitly asks for it:
// 6-byte header then msg_length payload bytes, no MACs.
import {
  FRAME_HEADER_SIZE,
  MAX_PAYLOAD_LENGTH,
  decodeFrameHeader,
  type FrameHeader,
} from '../codec/frame.js';
import { ByteQueue } from '../noise/byte-queue.js';
import { type Frame, checkPlainFrame } from '../noise/transport.js';

export class FrameSizeError extends Error {
  override readonly name = 'FrameSizeError';
}

export class PlainFrameDecoder {
  readonly #max: number;
  readonly #queue = new ByteQueue();
  #header: FrameHeader | undefined;
  #failed: Error | undefined;

  constructor(opts: { maxPayloadLength?: number } = {}) {
    this.#max = Math.min(opts.maxPayloadLength ?? MAX_PAYLOAD_LENGTH, MAX_PAYLOAD_LENGTH);
  }

  get buffered(): number {
    return this.#queue.length;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.#failed) throw this.#failed;
    this.#queue.push(chunk);
    const frames: Frame[] = [];
    for (;;) {
      if (this.#header === undefined) {
        if (this.#queue.length < FRAME_HEADER_SIZE) break;
        const header = decodeFrameHeader(this.#queue.take(FRAME_HEADER_SIZE));
        if (header.msg_length > this.#max) {
          this.#failed = new FrameSizeError(
            `frame payload of ${header.msg_length} bytes exceeds the ${this.#max} limit`,
          );
          this.#queue.clear();
          throw this.#failed;
        }
        this.#header = header;
      }
      if (this.#queue.length < this.#header.msg_length) break;
      // Copy so the payload does not pin the socket's read buffer.
      const payload = Uint8Array.from(this.#queue.take(this.#header.msg_length));
      frames.push({ header: this.#header, payload });
      this.#header = undefined;
    }
    return frames;
  }
}

/** Plain encoding is the frame itself, once its length is checked. */
export function encodePlainFrame(frame: Uint8Array): Uint8Array {
  checkPlainFrame(frame);
  return frame;
}
