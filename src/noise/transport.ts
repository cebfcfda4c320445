// Encrypted SV2 framing (spec 4.6). Each frame becomes the 6-byte header sealed
// alone (22 bytes) followed by the payload sealed in chunks of at most 65,519
// plaintext bytes (≤ 65,535 ciphertext bytes each); msg_length stays the
// plaintext length, and an empty payload sends the header only.
import { allocBytes } from '../codec/alloc.js';
import {
  type FrameHeader,
  FRAME_HEADER_SIZE,
  MAX_PAYLOAD_LENGTH,
  decodeFrameHeader,
} from '../codec/frame.js';
import { TAG_LENGTH } from './aead.js';
import { ByteQueue } from './byte-queue.js';
import type { CipherState } from './cipher-state.js';
import { NoiseError } from './errors.js';

export const MAX_CT_CHUNK = 65535;
export const MAX_PT_CHUNK = MAX_CT_CHUNK - TAG_LENGTH;
export const ENCRYPTED_HEADER_SIZE = FRAME_HEADER_SIZE + TAG_LENGTH;

export interface Frame {
  header: FrameHeader;
  payload: Uint8Array;
}

/** Ciphertext bytes that follow the encrypted header for a payload of `plaintextLength` bytes. */
export function ciphertextLength(plaintextLength: number): number {
  const full = Math.floor(plaintextLength / MAX_PT_CHUNK);
  const rest = plaintextLength % MAX_PT_CHUNK;
  return full * MAX_CT_CHUNK + (rest > 0 ? rest + TAG_LENGTH : 0);
}

/** Checks that `frame` is one complete plaintext frame and returns its header. */
export function checkPlainFrame(frame: Uint8Array): FrameHeader {
  const header = decodeFrameHeader(frame);
  if (header.msg_length !== frame.length - FRAME_HEADER_SIZE) {
    throw new NoiseError(
      'length',
      `frame msg_length ${header.msg_length} does not match its ${frame.length - FRAME_HEADER_SIZE} payload bytes`,
    );
  }
  return header;
}

const EMPTY = new Uint8Array(0);

/** Seals a plaintext frame (header ‖ payload) with the sending CipherState. */
export function encryptFrame(send: CipherState, frame: Uint8Array): Uint8Array {
  // msg_length read in place: a header object per frame is measurable for small frames.
  const length = frame.length >= FRAME_HEADER_SIZE ? frame[3]! | (frame[4]! << 8) | (frame[5]! << 16) : -1;
  if (length !== frame.length - FRAME_HEADER_SIZE) checkPlainFrame(frame);
  // A standalone ArrayBuffer costs an off-heap allocation, more than sealing a
  // share-sized frame: small outputs come from the codec's shared slab.
  const out = allocBytes(ENCRYPTED_HEADER_SIZE + ciphertextLength(length));
  send.encryptRangeInto(EMPTY, frame, 0, FRAME_HEADER_SIZE, out, 0);
  let pos = ENCRYPTED_HEADER_SIZE;
  for (let off = FRAME_HEADER_SIZE; off < frame.length; off += MAX_PT_CHUNK) {
    const size = Math.min(MAX_PT_CHUNK, frame.length - off);
    send.encryptRangeInto(EMPTY, frame, off, size, out, pos);
    pos += size + TAG_LENGTH;
  }
  return out;
}

export interface DecoderOptions {
  /** Largest payload accepted; checked from the header before any payload is buffered. */
  maxPayloadLength?: number;
}

/**
 * Incremental decryptor: feed ciphertext as it arrives, get whole plaintext
 * frames back. Any error (bad tag, oversize frame) is final.
 */
export class NoiseFrameDecoder {
  readonly #recv: CipherState;
  readonly #max: number;
  readonly #queue = new ByteQueue();
  readonly #headerBytes = new Uint8Array(FRAME_HEADER_SIZE);
  #header: FrameHeader | undefined;
  #failed: Error | undefined;

  constructor(recv: CipherState, opts: DecoderOptions = {}) {
    this.#recv = recv;
    this.#max = Math.min(opts.maxPayloadLength ?? MAX_PAYLOAD_LENGTH, MAX_PAYLOAD_LENGTH);
  }

  /** Bytes received but not yet part of a returned frame. */
  get buffered(): number {
    return this.#queue.length;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.#failed) throw this.#failed;
    this.#queue.push(chunk);
    const frames: Frame[] = [];
    try {
      for (;;) {
        if (this.#header === undefined) {
          if (this.#queue.length < ENCRYPTED_HEADER_SIZE) break;
          this.#open(ENCRYPTED_HEADER_SIZE, this.#headerBytes, 0);
          const header = decodeFrameHeader(this.#headerBytes);
          if (header.msg_length > this.#max) {
            throw new NoiseError(
              'length',
              `frame payload of ${header.msg_length} bytes exceeds the ${this.#max} limit`,
            );
          }
          this.#header = header;
        }
        const header: FrameHeader = this.#header;
        if (this.#queue.length < ciphertextLength(header.msg_length)) break;
        const payload = allocBytes(header.msg_length);
        for (let off = 0; off < header.msg_length; off += MAX_PT_CHUNK) {
          const size = Math.min(MAX_PT_CHUNK, header.msg_length - off);
          this.#open(size + TAG_LENGTH, payload, off);
        }
        this.#header = undefined;
        frames.push({ header, payload });
      }
    } catch (err) {
      this.#failed = err instanceof Error ? err : new Error(String(err));
      this.#queue.clear();
      throw this.#failed;
    }
    return frames;
  }

  /** Opens the next `sealed` queued bytes into `out` at `offset`, in place when they lie in one chunk. */
  #open(sealed: number, out: Uint8Array, offset: number): void {
    const queue = this.#queue;
    const chunk = queue.peek(sealed);
    if (chunk === undefined) {
      this.#recv.decryptRangeInto(EMPTY, queue.take(sealed), 0, sealed, out, offset);
    } else {
      this.#recv.decryptRangeInto(EMPTY, chunk, queue.frontOffset, sealed, out, offset);
      queue.skip(sealed);
    }
  }
}
