// A block-header hasher on the bitcoin layer's SHA-256 compression (32-bit
// words). A header is two 64-byte blocks; the first (version, prev_hash, most of the
// merkle root) does not change while the nonce runs, so its compressed state
// (the midstate) is kept and each nonce costs two compressions instead of
// three plus the per-call overhead of a general hash API.
import { SHA256_IV, compress } from '../../bitcoin/sha256-words.js';

function readBE(b: Uint8Array, i: number): number {
  return (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
}

function bswap(x: number): number {
  return ((x >>> 24) | ((x >>> 8) & 0xff00) | ((x & 0xff00) << 8) | (x << 24)) >>> 0;
}

/**
 * Target as 8 unsigned words, word i = bytes 4i..4i+3 of the little-endian
 * 256-bit value read as a little-endian u32, so word 7 is the most significant.
 */
export function targetWords(targetLE: Uint8Array): Uint32Array {
  if (targetLE.length !== 32) throw new RangeError('target must be 32 bytes');
  const out = new Uint32Array(8);
  for (let i = 0; i < 8; i++) out[i] = bswap(readBE(targetLE, 4 * i));
  return out;
}

/** SHA256d of 80-byte headers where only version, ntime and nonce change. */
export class HeaderHasher {
  readonly #block1 = new Int32Array(16);
  readonly #mid = new Int32Array(8);
  readonly #w = new Int32Array(64);
  /** Digest words (big-endian words of the 32 hash bytes) of the last hashNonce(). */
  readonly digest = new Int32Array(8);
  #merkleTail = 0;
  #ntime = 0;
  #bits = 0;

  /** Loads a serialized header (its nonce field is ignored). */
  setHeader(header: Uint8Array): void {
    if (header.length < 80) throw new RangeError('header must be 80 bytes');
    for (let i = 0; i < 16; i++) this.#block1[i] = readBE(header, 4 * i);
    this.#merkleTail = readBE(header, 64);
    this.#ntime = readBE(header, 68);
    this.#bits = readBE(header, 72);
    this.#midstate();
  }

  /** Replaces the version field (little-endian u32 in the header). */
  setVersion(version: number): void {
    this.#block1[0] = bswap(version) | 0;
    this.#midstate();
  }

  setNtime(ntime: number): void {
    this.#ntime = bswap(ntime) | 0;
  }

  #midstate(): void {
    this.#mid.set(SHA256_IV);
    this.#w.set(this.#block1);
    compress(this.#mid, this.#w);
  }

  /** Hashes the header with `nonce` into `digest`. */
  hashNonce(nonce: number): void {
    const w = this.#w;
    const s = this.digest;
    // Second block: the header's last 16 bytes, then padding for 640 bits.
    s.set(this.#mid);
    w[0] = this.#merkleTail;
    w[1] = this.#ntime;
    w[2] = this.#bits;
    w[3] = bswap(nonce) | 0;
    w[4] = 0x80000000 | 0;
    w.fill(0, 5, 15);
    w[15] = 640;
    compress(s, w);
    // Outer hash: the 32-byte inner digest, padded for 256 bits.
    for (let i = 0; i < 8; i++) w[i] = s[i]!;
    w[8] = 0x80000000 | 0;
    w.fill(0, 9, 15);
    w[15] = 256;
    s.set(SHA256_IV);
    compress(s, w);
  }

  /** Whether the last digest, read as a little-endian 256-bit number, is ≤ the target. */
  meets(target: Uint32Array): boolean {
    for (let i = 7; i >= 0; i--) {
      const h = bswap(this.digest[i]!);
      const t = target[i]!;
      if (h !== t) return h < t;
    }
    return true;
  }

  /** The last digest as hash bytes (internal order). */
  hashBytes(): Uint8Array {
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      const x = this.digest[i]!;
      out[4 * i] = x >>> 24;
      out[4 * i + 1] = (x >>> 16) & 0xff;
      out[4 * i + 2] = (x >>> 8) & 0xff;
      out[4 * i + 3] = x & 0xff;
    }
    return out;
  }
}
