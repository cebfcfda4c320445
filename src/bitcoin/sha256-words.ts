// SHA-256 on 32-bit words in plain JavaScript, for the small fixed-size
// inputs share validation hashes per share: merkle nodes (64 bytes) and block
// headers (80 bytes), both double-hashed. node:crypto's one-shot hash() spends
// most of its time per call, not per block, on inputs this small; here a call
// is one to three compressions with no allocation, the padding blocks of
// 64-byte and 32-byte messages are constants (the first one's whole message
// schedule precomputed), and a merkle fold passes digests on as words, never
// as bytes. FIPS 180-4, section 6.2; checked against node:crypto in the tests.

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** SHA-256's initial state (FIPS 180-4, 5.3.3). */
export const SHA256_IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Message schedule scratch: words 0–15 are the block, 16–63 are derived. */
const W = new Int32Array(64);

function expand(w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
}

/** The 64 rounds of one compression of `state` over an expanded schedule `w`. */
function rounds(state: Int32Array, w: Int32Array): void {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + (g ^ (e & (f ^ g))) + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) | (c & (a | b)))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/**
 * Compresses one block into `state` (8 words, updated in place). `w` holds
 * the block as 16 big-endian words in w[0..15] and is used as the 64-word
 * schedule, so its contents are not kept.
 */
export function compress(state: Int32Array, w: Int32Array): void {
  expand(w);
  rounds(state, w);
}

// The second block of any 64-byte message: 0x80, zeros, bit length 512.
// It never changes, so its whole schedule is expanded once.
const W_PAD64 = new Int32Array(64);
W_PAD64[0] = 0x80000000 | 0;
W_PAD64[15] = 512;
expand(W_PAD64);

const inner = new Int32Array(8);

/**
 * The second hash of SHA256d: SHA-256 of the 32-byte digest in `digest`,
 * written to `out` (both as eight big-endian words).
 */
function hashDigest(digest: Int32Array, out: Int32Array): void {
  for (let i = 0; i < 8; i++) W[i] = digest[i]!;
  W[8] = 0x80000000 | 0;
  W[9] = W[10] = W[11] = W[12] = W[13] = W[14] = 0;
  W[15] = 256;
  out.set(SHA256_IV);
  compress(out, W);
}

/**
 * SHA256d(left ‖ right) of two 32-byte nodes given as eight big-endian words
 * each (`right` from word `rightAt` on); the digest goes to `out` as words
 * (it may alias `left` or `right`).
 */
export function sha256dPairWords(left: Int32Array, right: Int32Array, out: Int32Array, rightAt = 0): void {
  for (let i = 0; i < 8; i++) {
    W[i] = left[i]!;
    W[i + 8] = right[rightAt + i]!;
  }
  inner.set(SHA256_IV);
  compress(inner, W);
  rounds(inner, W_PAD64);
  hashDigest(inner, out);
}

/** Reads 32 bytes as eight big-endian words (SHA-256's view of a message). */
export function bytesToWords(
  bytes: Uint8Array,
  into: Int32Array = new Int32Array(8),
  offset = 0,
): Int32Array {
  for (let i = 0; i < 8; i++) {
    const j = offset + 4 * i;
    into[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
  return into;
}

/** Writes eight words as 32 bytes, the digest's byte order. */
export function wordsToBytes(
  words: Int32Array,
  into: Uint8Array = new Uint8Array(32),
  offset = 0,
): Uint8Array {
  for (let i = 0; i < 8; i++) {
    const w = words[i]!;
    const j = offset + 4 * i;
    into[j] = w >>> 24;
    into[j + 1] = (w >>> 16) & 0xff;
    into[j + 2] = (w >>> 8) & 0xff;
    into[j + 3] = w & 0xff;
  }
  return into;
}

const node = new Int32Array(8);

/** SHA256d of an 80-byte block header: three compressions, one allocation (the result). */
export function sha256dHeader(header: Uint8Array): Uint8Array {
  if (header.length !== 80) throw new RangeError(`block header must be 80 bytes, got ${header.length}`);
  for (let i = 0; i < 16; i++) {
    const j = 4 * i;
    W[i] = (header[j]! << 24) | (header[j + 1]! << 16) | (header[j + 2]! << 8) | header[j + 3]!;
  }
  inner.set(SHA256_IV);
  compress(inner, W);
  for (let i = 0; i < 4; i++) {
    const j = 64 + 4 * i;
    W[i] = (header[j]! << 24) | (header[j + 1]! << 16) | (header[j + 2]! << 8) | header[j + 3]!;
  }
  W[4] = 0x80000000 | 0;
  for (let i = 5; i < 15; i++) W[i] = 0;
  W[15] = 640;
  compress(inner, W);
  hashDigest(inner, node);
  return wordsToBytes(node);
}
